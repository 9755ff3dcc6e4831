"""Run notifications by email (flask-mail); with no SMTP server configured they go to an
outbox that site admins read. A mail failure is logged on the run and never fails it."""

import logging
import smtplib

from flask_mail import Mail, Message
from pymongo import DESCENDING

from entity.records import now, object_id
from exception_layer.errors import NotFound
from logging_layer.run_log import last_lines

logger = logging.getLogger(__name__)

mail = Mail()
EVENTS = {"started": "started", "succeeded": "succeeded", "failed": "failed"}
KIND_LABEL = {"train": "Training", "predict": "Prediction"}


def init_app(app):
    app.config.setdefault("MAIL_SUPPRESS_SEND", app.config.get("TESTING", False))
    mail.init_app(app)


def recipients(db, run, project):
    people = []
    if run.created_by:
        try:
            user = db["users"].find_one(
                {"_id": object_id(run.created_by)}, {"email": 1, "mail_to": 1}
            )
        except NotFound:  # a starter id that is not an ObjectId has no record
            user = None
        address = (user or {}).get("mail_to") or (user or {}).get("email") or run.created_by_email
        if address:
            people.append(address)
    for address in project.notify_emails or ():
        if address and address not in people:
            people.append(address)
    return people


def compose(db, app, run, project, event):
    kind = KIND_LABEL.get(run.kind, run.kind)
    subject = f"[ML Platform] {project.name}: {kind.lower()} {event}"
    link = f"{app.config.get('BASE_URL', '').rstrip('/')}/runs/{run.id}"
    lines = [
        f"Project: {project.name}",
        f"Run: {run.id} ({kind.lower()})",
        f"Status: {run.status}",
        f"Started by: {run.created_by_email or '-'}",
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
    if event == "failed":
        lines.append(f"Error: {run.message}")
    lines.append(f"Message: {run.message}")
    if event != "started":
        lines += ["", "Last log lines:", last_lines(db, run.id, 12).rstrip()]
    lines += ["", f"Open the run: {link}"]
    return subject, "\n".join(lines) + "\n"


def notify(db, app, run, project, event, *, log=None):
    if event not in EVENTS:
        return None
    to = recipients(db, run, project)
    if not to:
        return None
    subject, body = compose(db, app, run, project, event)
    if not app.config.get("MAIL_SERVER"):
        db["outbox"].insert_one(
            {
                "to": to,
                "subject": subject,
                "body": body,
                "run_id": run.id,
                "workspace_id": run.workspace_id,
                "created_at": now(),
                "reason": "No SMTP server is configured.",
            }
        )
        return "outbox"
    try:
        mail.send(Message(subject=subject, recipients=to, body=body))
    except (smtplib.SMTPException, OSError) as exc:
        note = f"mail_failed event={event} error={type(exc).__name__}: {exc}"
        (log or logger).warning(note[:300])
        return "failed"
    if log:
        log.info("mail_sent event=%s to=%s", event, ",".join(to))
    return "sent"


def outbox(db, limit=200):
    return list(db["outbox"].find().sort("created_at", DESCENDING).limit(limit))
