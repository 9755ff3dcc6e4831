"""Run notifications by email: composed here, queued in the outbox, sent over SMTP.

A run only queues its mails (``Mailer.notify``), so a slow or dead SMTP server never delays
or fails it; the outbox sender (``thread_layer.outbox``) delivers them with ``SmtpSender``,
whose connection and every SMTP command time out. With no SMTP server configured, mails are
kept in the outbox for site admins to read.
"""

import logging
import smtplib

from flask_mail import BadHeaderError, Connection, Mail, Message

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
    "needs_review": "held for review (the batch drifted)",
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
    """Compose a run's emails and queue them for the SMTP sender, or keep them in the outbox.

    ``flask_app`` is the application whose flask-mail settings are used; with no
    ``MAIL_SERVER`` set, mail is kept in the outbox. ``on_queued`` is called after a mail was
    queued (it wakes the sender of this process).
    """

    def __init__(self, store, flask_app, base_url="", on_queued=None):
        self.store = store
        self.app = flask_app
        self.base_url = (base_url or "").rstrip("/")
        self.on_queued = on_queued

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
        subject = f"[ML Platform] {project.name}: {kind.lower()} {EVENTS.get(event, event)}"
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
            if run.kind == "train" and run.model_version:
                link = f"{self.base_url}/projects/{run.project_id}/models/{run.model_version}"
                lines.append(f"The model's report: {link}/report")
        if run.drift_summary and event in ("succeeded", "needs_review"):
            lines.append(f"Drift check: {run.drift_summary}")
        if event == "needs_review":
            lines.append(
                "The predictions are held back, out of the predictions folder, until an admin "
                "releases or discards them on the run's page."
            )
        if event == "failed":
            lines.append(f"Error: {run.message}")
        lines.append(f"Message: {run.message}")
        if event not in ("started", "skipped", "missed"):
            recent = last_lines(self.store.run_logs, run.id, 12).rstrip()
            lines += ["", "Last log lines:", recent]
        lines += ["", f"Open the run: {self.base_url}/runs/{run.id}"]
        return subject, "\n".join(lines) + "\n"

    def notify(self, run, project, event):
        """Queue ``event`` of ``run`` for sending; return 'queued', 'outbox' (no SMTP server:
        kept for site admins) or None (not an event that mails, or nobody to tell)."""
        if event not in EVENTS:
            return None
        to = self.recipients(run, project)
        if not to:
            return None
        subject, body = self.compose(run, project, event)
        mail_fields = {"to": to, "subject": subject, "body": body, "run_id": run.id}
        if not self.smtp:
            self.store.outbox.keep(
                **mail_fields, workspace_id=run.workspace_id, reason="No SMTP server is configured."
            )
            return "outbox"
        self.store.outbox.enqueue(**mail_fields, workspace_id=run.workspace_id)
        logger.info("mail_queued event=%s to=%s", event, ",".join(to))
        if self.on_queued is not None:
            self.on_queued()
        return "queued"


class SmtpSender:
    """Send one mail over SMTP with flask-mail's settings, every step bounded by
    ``timeout_s`` (flask-mail itself opens SMTP without a timeout, so a server that accepts
    the connection and never answers would block its caller for good)."""

    def __init__(self, flask_app, timeout_s=10):
        self.app = flask_app
        self.timeout_s = float(timeout_s)

    def send(self, to, subject, body):
        """Raise ``smtplib.SMTPException`` or ``OSError`` (a timeout is one) when it fails."""
        with self.app.app_context():
            message = Message(subject=subject, recipients=list(to), body=body)
            with _TimedConnection(self.app.extensions["mail"], self.timeout_s) as connection:
                connection.send(message)


def permanent(exc):
    """True for a refusal that sending again will not change (a 5xx answer, a bad header)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, BadHeaderError) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
    )


class _TimedConnection(Connection):
    """flask-mail's connection, opened with a timeout on connect and on every command."""

    def __init__(self, mail_state, timeout_s):
        super().__init__(mail_state)
        self.timeout_s = timeout_s

    def configure_host(self):
        state = self.mail
        kind = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = kind(state.server, state.port, timeout=self.timeout_s)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host
