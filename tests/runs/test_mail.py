"""Run emails: queued in the outbox and sent to a real SMTP server, kept there without one,
retried with back-off, sent once however many processes send, and never failing a run."""

import threading
import time

import pytest

from controllers.context import get_store
from integration.mail import SmtpSender
from tests.runs.support import create_project, start, wait_for, write_batches
from tests.support.process import free_port
from tests.support.web import create_user, login
from thread_layer.outbox import OutboxSender

FAST_RETRY = {"MAIL_TIMEOUT": 2, "MAIL_RETRY_SECONDS": 0.2, "MAIL_MAX_ATTEMPTS": 3}


@pytest.fixture
def app_config(app_config, request):
    if "smtp_server" in request.fixturenames:
        host, port, _ = request.getfixturevalue("smtp_server")
        app_config.update(
            MAIL_SERVER=host,
            MAIL_PORT=port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_DEFAULT_SENDER="ML Platform <noreply@example.com>",
        )
    if "unreachable_smtp" in request.fixturenames:
        port = request.getfixturevalue("unreachable_smtp")
        app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    app_config.update(FAST_RETRY)
    return app_config


@pytest.fixture
def unreachable_smtp():
    return free_port()


def wait_outbox(app, done, timeout=30, count=1):
    """The outbox's mails once there are at least ``count`` and every one is ``done(mail)``
    (a run's last mail is queued just after the run turns final)."""
    deadline = time.monotonic() + timeout
    while True:
        mails = get_store(app).outbox.latest()
        if (len(mails) >= count and all(done(m) for m in mails)) or time.monotonic() > deadline:
            return mails
        time.sleep(0.1)


def test_mail_on_start_and_success_reaches_starter_and_extra_addresses(
    smtp_server, client, team, app
):
    _, _, inbox = smtp_server
    admin = team.headers("admin")
    project, frame, prefix = create_project(
        client, admin, "binary", notify_emails=["data-team@example.com"]
    )
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    run = start(client, admin, project["id"], "train")
    done = wait_for(client, admin, run["id"])
    assert done["status"] == "succeeded"
    messages = inbox.wait_for(2)
    subjects = [m["subject"] for m in messages]
    assert subjects == [
        f"[ML Platform] {project['name']}: training started",
        f"[ML Platform] {project['name']}: training succeeded",
    ]
    for message in messages:
        assert sorted(message["to"]) == ["admin@example.com", "data-team@example.com"]
    body = messages[1]["body"]
    assert "Status: succeeded" in body and "balanced_accuracy:" in body
    assert f"/runs/{run['id']}" in body and "Last log lines:" in body


def test_failure_mail_carries_the_reason(smtp_server, client, team):
    _, _, inbox = smtp_server
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    messages = inbox.wait_for(2)
    assert messages[-1]["subject"].endswith("training failed")
    assert "Error: No training files" in messages[-1]["body"]


def test_without_smtp_mail_goes_to_the_outbox_for_site_admins(client, team, app):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    create_user(app, "root@example.com", name="Root", admin=True)
    browser = app.test_client()
    login(browser, "root@example.com")
    page = browser.get("/admin/outbox")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "training failed" in text and "admin@example.com" in text
    member = team.login(app.test_client(), "admin")
    assert member.get("/admin/outbox").status_code == 403


def test_unreachable_smtp_server_never_fails_the_run(unreachable_smtp, client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "regression")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    run = start(client, admin, project["id"], "train")
    done = wait_for(client, admin, run["id"])
    assert done["status"] == "succeeded"
    mails = wait_outbox(app, lambda m: m["status"] == "failed", count=2)
    assert [m["status"] for m in mails] == ["failed", "failed"]
    assert all(m["attempts"] == FAST_RETRY["MAIL_MAX_ATTEMPTS"] for m in mails)
    assert all("ConnectionRefusedError" in m["last_error"] for m in mails)
    create_user(app, "root@example.com", name="Root", admin=True)
    browser = app.test_client()
    login(browser, "root@example.com")
    page = browser.get("/admin/outbox").get_data(as_text=True)
    assert "2 failed" in page and "3 attempt(s)" in page and "ConnectionRefusedError" in page


def test_a_failed_attempt_is_retried_until_the_server_answers(unreachable_smtp, client, team, app):
    """The server is down for the first attempts and comes up later: the mails go out then,
    each once, with the attempts it took."""
    from aiosmtpd.controller import Controller

    from tests.plugins.smtp import Inbox

    app.extensions["outbox_sender"].max_attempts = 8  # enough to outlast the outage below
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    wait_outbox(app, lambda m: m["attempts"] >= 2, count=2)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=unreachable_smtp)
    controller.start()
    try:
        mails = wait_outbox(app, lambda m: m["status"] == "sent", count=2)
        assert [m["status"] for m in mails] == ["sent", "sent"]
        assert all(m["attempts"] >= 3 and "ConnectionRefused" in m["last_error"] for m in mails)
        events = sorted(m["subject"].rsplit(": ", 1)[1] for m in inbox.wait_for(2))
        assert events == ["training failed", "training started"]
        create_user(app, "root@example.com", name="Root", admin=True)
        browser = app.test_client()
        login(browser, "root@example.com")
        page = browser.get("/admin/outbox").get_data(as_text=True)
        assert "2 sent" in page and "sent through <code>127.0.0.1</code>" in page
    finally:
        controller.stop()


def test_two_senders_send_each_mail_once(smtp_server, app):
    """Two processes' senders (two worker identities) drain one outbox at once."""
    _, _, inbox = smtp_server
    store = get_store(app)
    for index in range(20):
        store.outbox.enqueue(
            to=["ops@example.com"], subject=f"mail {index}", body="x", run_id=None, workspace_id="w"
        )
    smtp = SmtpSender(app, timeout_s=5)
    senders = [OutboxSender(store, smtp, worker=f"host:{n}") for n in (1, 2)]
    tried = []
    threads = [threading.Thread(target=lambda s=s: tried.append(s.deliver_due())) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(tried) == 20
    subjects = sorted(m["subject"] for m in inbox.wait_for(20))
    assert subjects == sorted(f"mail {index}" for index in range(20))
    assert all(m["status"] == "sent" and m["attempts"] == 1 for m in store.outbox.latest())


def test_attempts_back_off_exponentially_then_give_up(unreachable_smtp, app):
    """With an injected clock: retries after 10 s, 20 s, 40 s, then the mail is failed."""
    from datetime import timedelta

    from entity.records import now

    store = get_store(app)
    store.outbox.enqueue(
        to=["ops@example.com"], subject="backoff", body="x", run_id=None, workspace_id="w"
    )
    moment = [now()]
    sender = OutboxSender(
        store, SmtpSender(app, timeout_s=2), retry_s=10, max_attempts=4, clock=lambda: moment[0]
    )
    waits = []
    for _ in range(3):
        assert sender.deliver_due() == 1
        mail = store.outbox.latest()[0]
        assert mail["status"] == "queued"
        waits.append(round((mail["next_attempt_at"] - moment[0]).total_seconds()))
        moment[0] = mail["next_attempt_at"] - timedelta(seconds=1)
        assert sender.deliver_due() == 0  # not due yet
        moment[0] += timedelta(seconds=1)
    assert waits == [10, 20, 40]
    assert sender.deliver_due() == 1
    mail = store.outbox.latest()[0]
    assert mail["status"] == "failed" and mail["attempts"] == 4
    assert "ConnectionRefusedError" in mail["last_error"]
