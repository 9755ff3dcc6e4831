"""The embedded database going away, for real: the app runs on an embedded server of its own
(no MONGODB_URI, as ``make run`` starts it), which the tests kill, stop, or keep away.

While it is away, the API and pages answer 503 at once, with ``Retry-After`` and words; when its
process dies, the app starts it again on the same folder and port (one process of several
does); a run caught by an outage longer than the watchdog's limit ends failed or interrupted,
and the next Train works. The limits are short (heartbeat 0.3 s, stale after 3 s, requests give
up after 1 s) so that each test takes seconds.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import create_app
from entity.embedded_server import ensure_server, stop_server
from tests.runs.support import create_project, start, wait_for, wait_step, write_batches
from tests.runs.test_lifecycle import bigger
from thread_layer.watchdog import RUN_STOPPED

ROOT = Path(__file__).resolve().parents[2]
FAST = {
    "MONGODB_URI": None,
    "MONGODB_TIMEOUT_SECONDS": 1,
    "RUN_HEARTBEAT_SECONDS": 0.3,
    "RUN_STALE_SECONDS": 3,
    "SCHEDULER": True,
    "TICK_SECONDS": 0.5,
}
UNREACHABLE = "The database is unreachable right now"


@pytest.fixture
def app(app_config):
    """The app on an embedded server of its own, stopped (for good) after the test."""
    config = {**app_config, **FAST}
    application = create_app(config)
    yield application
    application.extensions["ticker"].stop()
    application.extensions["run_executor"].shutdown(wait=True)
    stop_server(config["DATA_DIR"])


def server_info(app):
    return json.loads((Path(app.config["DATA_DIR"]) / "mongo" / "server.json").read_text())


def settle_journal():
    """The embedded server journals acknowledged writes within about a second; a hard kill
    loses what came after. Let the test's own set-up reach the disk first."""
    time.sleep(1.5)


def restarted_info(app, before, limit_s=10):
    """server.json once it names a new process (it is written once the server answers)."""
    deadline = time.monotonic() + limit_s
    while server_info(app)["pid"] == before["pid"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return server_info(app)


def kill_server(app):
    info = server_info(app)
    os.kill(info["pid"], signal.SIGKILL)
    return info


def servers_of(app):
    """Pids of the embedded server processes that serve this app's data folder."""
    folder = str(Path(app.config["DATA_DIR"]) / "mongo" / "data")
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if folder.encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def until_answered(client, url, headers, limit_s=15):
    """GET ``url`` until it answers 200; return (seconds taken, statuses seen)."""
    started, statuses = time.monotonic(), []
    while time.monotonic() - started < limit_s:
        response = client.get(url, headers=headers)
        statuses.append(response.status_code)
        if response.status_code == 200:
            break
        assert response.status_code == 503 and response.headers["Retry-After"], statuses
        time.sleep(0.1)
    return time.monotonic() - started, statuses


def test_a_killed_embedded_database_comes_back_by_itself(client, team, app):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    settle_journal()
    before = kill_server(app)
    took, statuses = until_answered(client, "/api/v1/projects", admin)
    assert statuses[-1] == 200 and took < 5, (took, statuses)
    after = restarted_info(app, before)
    assert after["port"] == before["port"] and after["pid"] != before["pid"]
    listed = client.get("/api/v1/projects", headers=admin).get_json()["projects"]
    names = [p["name"] for p in listed]
    assert project["name"] in names


def test_a_process_starting_while_the_server_is_dead_keeps_its_address(client, team, app):
    """A new process (a gunicorn worker respawned, a CLI command) may be the first to find
    the server dead: it starts it on the same port, so the URI every process holds stays."""
    settle_journal()
    before = kill_server(app)
    assert ensure_server(app.config["DATA_DIR"]) == app.config["MONGODB_URI"]
    assert restarted_info(app, before)["port"] == before["port"]
    assert client.get("/api/v1/projects", headers=team.headers("admin")).status_code == 200


PEER = """
import sys, time
from app import create_app
from controllers.context import get_db
app = create_app({"SCHEDULER": False, "MONGODB_TIMEOUT_SECONDS": 1})
print("ready", flush=True)
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    try:
        get_db(app).command("ping")
        print("ok", time.time(), flush=True)
    except Exception as exc:
        print("down", time.time(), type(exc).__name__, flush=True)
    time.sleep(0.2)
"""


def test_of_two_app_processes_exactly_one_starts_it_again(client, team, app, app_config):
    """A second app process on the same data folder (a gunicorn worker, say): both notice the
    server died, one starts it again under the lock, and both carry on with it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLP_")}
    env.update(
        MLP_DATA_DIR=app.config["DATA_DIR"],
        MLP_MONGODB_DB=app_config["MONGODB_DB"],
        MLP_SECRET_KEY=app_config["SECRET_KEY"],
        MLP_ENCRYPTION_KEY=app_config["ENCRYPTION_KEY"],
    )
    peer = subprocess.Popen(
        [sys.executable, "-c", PEER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert peer.stdout.readline().strip() == "ready"
        assert peer.stdout.readline().split()[0] == "ok"
        settle_journal()
        before = kill_server(app)
        took, statuses = until_answered(client, "/api/v1/projects", team.headers("admin"))
        assert statuses[-1] == 200, statuses
        after = restarted_info(app, before)
        restarted = time.time()
        time.sleep(1)  # whoever lost the race has looked again by now
        assert servers_of(app) == [after["pid"]] and after["pid"] != before["pid"]
        assert after["port"] == before["port"]
        while True:  # the peer carries on with the new server
            state, at = peer.stdout.readline().split()[:2]
            if state == "ok" and float(at) > restarted:
                break
    finally:
        peer.kill()
        peer.wait(timeout=10)


def test_while_the_database_is_away_api_and_pages_answer_503_at_once(client, team, app):
    admin = team.headers("admin")
    browser = app.test_client()
    team.login(browser, "admin")
    assert browser.get("/projects").status_code == 200
    stop_server(app.config["DATA_DIR"])  # stopped on purpose: it stays away
    for fetch in (
        lambda: client.get("/api/v1/projects", headers=admin),
        lambda: client.post("/api/v1/projects", json={"name": "x"}, headers=admin),
        lambda: browser.get("/projects"),
        lambda: browser.get("/"),
    ):
        started = time.monotonic()
        response = fetch()
        took = time.monotonic() - started
        assert response.status_code == 503, response.get_data(as_text=True)[:300]
        assert response.headers["Retry-After"] == "5"
        assert took < FAST["MONGODB_TIMEOUT_SECONDS"] + 1.5, took
        text = response.get_data(as_text=True)
        assert UNREACHABLE in text and "Traceback" not in text and "pymongo" not in text
    body = client.get("/api/v1/projects", headers=admin).get_json()
    assert body["error"]["code"] == "database_unavailable"


def test_the_database_away_mid_run_ends_the_run_and_the_next_train_works(client, team, app):
    """The server dies mid-training and stays away 8 s (the test holds the lock under which
    any process would start it again): longer than the watchdog's limit of 3 s."""
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary", budget=8)
    write_batches(app, team.workspace_id, project["id"], bigger(frame), prefix, "training")
    run = start(client, admin, project["id"], "train")
    wait_step(client, admin, run["id"], "train")
    settle_journal()
    lock_path = Path(app.config["DATA_DIR"]) / "mongo" / "server.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        killed = time.monotonic()
        kill_server(app)
        while time.monotonic() - killed < 8:  # the app keeps answering, at once
            started = time.monotonic()
            response = client.get(f"/api/v1/runs/{run['id']}", headers=admin)
            assert response.status_code == 503 and time.monotonic() - started < 2.5
        fcntl.flock(lock, fcntl.LOCK_UN)
    done = wait_for(client, admin, run["id"], timeout=60)
    assert time.monotonic() - killed < 60
    assert done["status"] in ("failed", "interrupted"), done
    assert done["message"] == RUN_STOPPED or done["message"].startswith(UNREACHABLE), done
    again = wait_for(client, admin, start(client, admin, project["id"], "train")["id"], timeout=120)
    assert again["status"] == "succeeded", again
