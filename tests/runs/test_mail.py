"""Run emails: to a real SMTP server, to the outbox without one, and never failing a run."""

import pytest

from tests.runs.support import create_project, start, wait_for, write_batches
from tests.support.web import create_user, login


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
    return app_config


@pytest.fixture
def unreachable_smtp():
    from tests.support.process import free_port

    return free_port()


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
    logs = client.get(f"/api/v1/runs/{run['id']}/logs", headers=admin).get_json()["records"]
    assert any("mail_failed" in r["message"] for r in logs)
