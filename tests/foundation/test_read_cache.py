"""Pages and log polls served from the per-process cache still show every change within 1 s:
a write through this app, through another process, and in every gunicorn worker."""

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from controllers.context import get_db, get_store
from entity.change_feed import feed_for
from entity.run import Run
from project_library.projects import service as projects
from tests.support import web
from tests.support.gunicorn import serve


def _project(app, team, name="Cached project"):
    with app.app_context():
        return projects.create_project(
            get_store(), team.workspace_id, {"name": name}, team.user("admin").id
        )


def _live(app):
    with app.app_context():
        assert feed_for(get_db()).wait_live(), "the change stream did not open"


def _until(predicate, timeout_s=1.0):
    """Seconds until ``predicate()`` held (polling), or fail after ``timeout_s``."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout_s, f"not visible within {timeout_s} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_change_through_this_app_shows_on_the_next_dashboard(client, team, app):
    project = _project(app, team)
    team.login(client, "admin")
    _live(app)
    assert b"Cached project" in client.get("/").data
    assert b"Cached project" in client.get(f"/projects/{project.id}").data  # both cached now
    with app.app_context():
        get_store().projects.update(team.workspace_id, project.id, name="Renamed here")
    assert b"Renamed here" in client.get("/").data  # at once: this process counted its write
    assert b"Renamed here" in client.get(f"/projects/{project.id}").data


def test_a_change_by_another_process_shows_within_a_second(client, team, app):
    project = _project(app, team)
    team.login(client, "admin")
    _live(app)
    assert b"Cached project" in client.get("/").data
    script = (
        "import sys; from pymongo import MongoClient; from bson import ObjectId; "
        "c = MongoClient(sys.argv[1]); "
        "c[sys.argv[2]].projects.update_one({'_id': ObjectId(sys.argv[3])}, "
        "{'$set': {'name': 'Renamed elsewhere'}})"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            app.config["MONGODB_URI"],
            app.config["MONGODB_DB"],
            project.id,
        ],
        check=True,
        timeout=60,
    )
    written = time.monotonic()
    _until(lambda: b"Renamed elsewhere" in client.get("/").data)
    assert time.monotonic() - written < 1.0


def test_the_cached_page_carries_this_sessions_csrf_token(client, team, app):
    team.login(client, "admin")
    _live(app)
    first = client.get("/").data
    other = app.test_client()
    team.login(other, "admin")
    second = other.get("/").data
    tokens = [
        re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1)
        for page in (first, second)
    ]
    assert tokens[0] != tokens[1] and b"\x00csrf\x00" not in second
    # the token of the cached page is accepted: switching workspace works
    answer = other.post(
        "/workspace/switch",
        data={"csrf_token": tokens[1].decode(), "workspace_id": team.workspace_id},
    )
    assert answer.status_code == 302


def _run(app, team):
    project = _project(app, team, "Logged project")
    with app.app_context():
        run = get_store().runs.create(Run(team.workspace_id, project.id, "predict"))
    return run


def _line(app, run_id, seq, message):
    with app.app_context():
        get_store().run_logs.append(
            {
                "run_id": run_id,
                "seq": seq,
                "time": datetime.now(UTC),
                "level": "INFO",
                "step": "x",
                "message": message,
            }
        )


def test_log_polls_answer_304_until_a_line_arrives(client, team, app):
    run = _run(app, team)
    headers = team.headers("viewer")
    _live(app)
    _line(app, run.id, 1, "first line")
    url = f"/api/v1/runs/{run.id}/logs?after=0"
    first = client.get(url, headers=headers)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert [r["message"] for r in first.get_json()["records"]] == ["first line"]
    tag = first.headers["ETag"]
    same = client.get(url, headers={**headers, "If-None-Match": tag})
    assert same.status_code == 304 and same.data == b""
    after = f"/api/v1/runs/{run.id}/logs?after=1"
    quiet = client.get(after, headers=headers)
    assert quiet.get_json()["records"] == []
    _line(app, run.id, 2, "second line")
    changed = client.get(after, headers={**headers, "If-None-Match": quiet.headers["ETag"]})
    assert changed.status_code == 200
    assert [r["message"] for r in changed.get_json()["records"]] == ["second line"]
    assert changed.headers["ETag"] != quiet.headers["ETag"]


def test_a_line_written_by_another_process_ends_the_304s_within_a_second(client, team, app):
    run = _run(app, team)
    headers = team.headers("viewer")
    _live(app)
    url = f"/api/v1/runs/{run.id}/logs?after=0"
    tag = client.get(url, headers=headers).headers["ETag"]
    assert client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 304
    script = (
        "import sys, datetime; from pymongo import MongoClient; "
        "c = MongoClient(sys.argv[1]); "
        "c[sys.argv[2]].run_logs.insert_one({'run_id': sys.argv[3], 'seq': 1, 'time': "
        "datetime.datetime.now(datetime.UTC), 'level': 'INFO', 'step': 'x', "
        "'message': 'from elsewhere'})"
    )
    subprocess.run(
        [sys.executable, "-c", script, app.config["MONGODB_URI"], app.config["MONGODB_DB"], run.id],
        check=True,
        timeout=60,
    )
    _until(lambda: client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 200)
    assert client.get(url, headers=headers).get_json()["records"][0]["message"] == "from elsewhere"


def test_a_foreign_run_is_a_404_even_when_another_workspace_cached_it(client, team, app):
    run = _run(app, team)
    _live(app)
    assert (
        client.get(f"/api/v1/runs/{run.id}/logs", headers=team.headers("viewer")).status_code == 200
    )
    assert (
        client.get(f"/api/v1/runs/{run.id}/logs", headers=team.headers("outsider")).status_code
        == 404
    )
    assert str(ObjectId())  # ids are ObjectIds: a made-up one is a 404 too
    assert (
        client.get(f"/api/v1/runs/{ObjectId()}/logs", headers=team.headers("viewer")).status_code
        == 404
    )


@pytest.fixture
def gunicorn(app, app_config, tmp_path):
    base, server = serve(app, app_config, tmp_path)
    yield base
    server.stop()


def _signed_in(base, email):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "email": email, "password": web.PASSWORD}
    opener.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=30).read()
    return opener


@pytest.mark.slow
def test_every_gunicorn_worker_shows_a_change_within_a_second(team, app, gunicorn):
    project = _project(app, team, "Served by two workers")
    opener = _signed_in(gunicorn, team.user("owner").email)

    def everyone_sees(text):  # new connections: the requests spread over both workers
        return all(text in opener.open(gunicorn + "/", timeout=5).read() for _ in range(12))

    assert everyone_sees(b"Served by two workers")  # every worker has it cached
    with app.app_context():
        get_store().projects.update(team.workspace_id, project.id, name="Seen by both")
    assert _until(lambda: everyone_sees(b"Seen by both"), timeout_s=3.0) < 3.0
    written = time.monotonic()
    with app.app_context():
        get_store().projects.update(team.workspace_id, project.id, name="Seen again")
    _until(lambda: b"Seen again" in opener.open(gunicorn + "/", timeout=5).read())
    assert time.monotonic() - written < 1.0
