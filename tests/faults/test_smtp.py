"""An SMTP server that accepts the connection and never answers does not delay a run.

The same training runs twice on one app: first with no SMTP server (mail kept in the outbox),
then with the silent server configured. When the second ends, the sender is still waiting on
the silent server for the run's first mail (so the run did not wait for it), and the run took
about as long as the first (the machine's other work makes both vary by seconds). Once the
SMTP timeout passes, the outbox shows that mail queued for a later attempt, "timed out".
"""

import time

import pytest

from controllers.context import get_store
from tests.runs.support import create_project, start, wait_for, write_batches

MAIL_TIMEOUT = 20  # longer than a training here: an inline send would show


@pytest.fixture
def app_config(app_config, silent_smtp):
    app_config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=silent_smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_TIMEOUT=MAIL_TIMEOUT,
        MAIL_RETRY_SECONDS=600,  # one attempt within the test
    )
    return app_config


def timed_training(client, admin, project_id):
    started = time.monotonic()
    done = wait_for(client, admin, start(client, admin, project_id, "train")["id"], timeout=120)
    assert done["status"] == "succeeded", done
    return done["duration_s"], time.monotonic() - started


def test_a_silent_smtp_server_leaves_the_run_time_unchanged(client, team, app, silent_smtp):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "regression")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    app.config["MAIL_SERVER"] = None  # the baseline: mail kept in the outbox, no SMTP at all
    without_smtp, _ = timed_training(client, admin, project["id"])
    app.config["MAIL_SERVER"] = "127.0.0.1"
    with_silent, waited = timed_training(client, admin, project["id"])
    outbox = get_store(app).outbox
    first = next(
        m for m in outbox.latest() if m["subject"].endswith("started") and m["status"] != "kept"
    )
    assert first["status"] == "sending" and first["attempts"] == 0, first
    assert silent_smtp.accepted, "the sender is connected to the silent server"
    assert with_silent < max(2 * without_smtp, without_smtp + 5), (without_smtp, with_silent)
    assert waited < MAIL_TIMEOUT, waited
    deadline = time.monotonic() + MAIL_TIMEOUT + 5
    while outbox.latest()[1]["status"] == "sending" and time.monotonic() < deadline:
        time.sleep(0.2)
    first = outbox.latest()[1]  # newest first: the second run's mails, then the first's
    assert first["status"] == "queued" and first["attempts"] == 1, first
    assert "timed out" in first["last_error"], first
    assert first["next_attempt_at"] > first["last_attempt_at"]
    assert [m["status"] for m in outbox.latest()[2:]] == ["kept", "kept"]  # the first run's
