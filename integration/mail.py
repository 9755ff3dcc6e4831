"""Run notifications by email (flask-mail); with no SMTP server configured they go to the
outbox that site admins read. A mail failure is logged on the run and never fails it."""

import logging
import smtplib

from flask_mail import Mail, Message

from exception_layer.errors import NotFound
from logging_layer.run_log import last_lines

logger = logging.getLogger(__name__)

mail = Mail()
EVENTS = {
    "started": "started",
    "succeeded": "succeeded",
    "failed": "failed",
    "skipped": "skipped",
    "missed": "missed",
}
KIND_LABEL = {"train": "Training", "predict": "Prediction"}


def init_app(app):
    app.config.setdefault("MAIL_SUPPRESS_SEND", app.config.get("TESTING", False))
    mail.init_app(app)


def started_by(run):
    """Who or what started a run, in words (the trigger, else the person)."""
    trigger = run.trigger or {}
    kind = trigger.get("type")
    if kind == "schedule":
        return f"the schedule “{trigger.get('description') or trigger.get('schedule_id')}”"
    if kind == "watcher":
        files = trigger.get("files") or []
        return f"the {trigger.get('batch', 'batch')} folder watcher ({len(files)} new file(s))"
    if kind == "token":
        return f"{trigger.get('email') or run.created_by_email or '-'} (API token)"
    return run.created_by_email or trigger.get("email") or "-"


class Mailer:
    """Compose a run's emails and send them over SMTP, or keep them in the outbox.

    ``flask_app`` is the application whose flask-mail settings are used (flask-mail sends
    inside an application context); with no ``MAIL_SERVER`` set, mail goes to the outbox.
    """

    def __init__(self, store, flask_app, base_url=""):
        self.store = store
        self.app = flask_app
        self.base_url = (base_url or "").rstrip("/")

    @property
    def smtp(self):
        return bool(self.app.config.get("MAIL_SERVER"))

    def recipients(self, run, project):
        """Who started the run (for scheduled and watched runs: who created the project),
        and the project's extra addresses."""
        people = []
        owner = run.created_by or project.created_by
        if owner:
            try:
                address = self.store.users.get(owner).email
            except NotFound:  # an account that is gone (or an id that never was one)
                address = None
            address = address or run.created_by_email
            if address:
                people.append(address)
        for address in project.notify_emails or ():
            if address and address not in people:
                people.append(address)
        return people

    def compose(self, run, project, event):
        kind = KIND_LABEL.get(run.kind, run.kind)
        subject = f"[ML Platform] {project.name}: {kind.lower()} {event}"
        lines = [
            f"Project: {project.name}",
            f"Run: {run.id} ({kind.lower()})",
            f"Status: {run.status}",
            f"Started by: {started_by(run)}",
        ]
        if run.duration_s is not None and event != "started":
            lines.append(f"Duration: {run.duration_s:.1f} s")
        if event == "succeeded":
            if run.model_version:
                lines.append(f"Model version: v{run.model_version}")
            for name, value in (run.metrics or {}).items():
                lines.append(f"  {name}: {value:.4f}")
            if run.output_rows is not None:
                lines.append(f"Predicted rows: {run.output_rows}")
            for item in run.inputs or ():
                lines.append(f"  file: {item.get('name')} ({item.get('rows')} rows)")
            if run.output_path:
                link = f"{self.base_url}/runs/{run.id}/predictions.csv"
                lines.append(f"Download the predictions: {link}")
        if event == "failed":
            lines.append(f"Error: {run.message}")
        lines.append(f"Message: {run.message}")
        if event not in ("started", "skipped", "missed"):
            recent = last_lines(self.store.run_logs, run.id, 12).rstrip()
            lines += ["", "Last log lines:", recent]
        lines += ["", f"Open the run: {self.base_url}/runs/{run.id}"]
        return subject, "\n".join(lines) + "\n"

    def notify(self, run, project, event):
        """Mail ``event`` of ``run``; return 'sent', 'outbox', 'failed' or None (nobody)."""
        if event not in EVENTS:
            return None
        to = self.recipients(run, project)
        if not to:
            return None
        subject, body = self.compose(run, project, event)
        if not self.smtp:
            self.store.outbox.keep(
                to=to,
                subject=subject,
                body=body,
                run_id=run.id,
                workspace_id=run.workspace_id,
                reason="No SMTP server is configured.",
            )
            return "outbox"
        try:
            with self.app.app_context():
                mail.send(Message(subject=subject, recipients=to, body=body))
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning(f"mail_failed event={event} error={type(exc).__name__}: {exc}"[:300])
            return "failed"
        logger.info("mail_sent event=%s to=%s", event, ",".join(to))
        return "sent"
