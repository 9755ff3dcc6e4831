"""Two gunicorn workers serve a project's production model; a promotion reaches both within
5 seconds, without a restart."""

import json
import time
import urllib.request
from pathlib import Path

import pytest

from tests.runs.support import start, wait_for
from tests.serving.test_predict_api import features, trained
from tests.support.process import ServiceProcess, find_executable, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _ok(url):
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


@pytest.fixture
def gunicorn(app, app_config, tmp_path):
    port = free_port()
    env = {
        "MLP_MONGODB_URI": app.config["MONGODB_URI"],
        "MLP_MONGODB_DB": app_config["MONGODB_DB"],
        "MLP_DATA_DIR": app.config["DATA_DIR"],
        "MLP_SECRET_KEY": app_config["SECRET_KEY"],
        "MLP_ENCRYPTION_KEY": app_config["ENCRYPTION_KEY"],
        "MLP_SCHEDULER": "false",
        "MLP_RUN_RECOVERY": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    argv = [find_executable("gunicorn"), "-c", "gunicorn.conf.py", "app:create_app()"]
    base = f"http://127.0.0.1:{port}"
    server = ServiceProcess(
        "gunicorn",
        argv,
        ready=lambda: _ok(f"{base}/login"),
        log_dir=tmp_path,
        env=env,
        timeout=90,
        cwd=str(ROOT),
    ).start()
    yield base
    server.stop()


def _versions(base, project, headers, rows, count):
    seen = []
    for _ in range(count):  # a new connection each time: the requests spread over the workers
        request = urllib.request.Request(
            f"{base}/api/v1/projects/{project['id']}/predict",
            data=json.dumps({"rows": rows}).encode(),
            headers={**headers, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            seen.append(json.loads(response.read())["model_version"])
    return seen


def test_a_promotion_reaches_every_worker_within_five_seconds(client, team, app, gunicorn):
    project, frame, _ = trained(client, team, app, "binary")
    admin = team.headers("admin")
    again = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert again["status"] == "succeeded" and again["model_version"] == 2
    models = client.get(f"/api/v1/projects/{project['id']}/models", headers=admin).json
    current = models["production_version"]
    other = 1 if current == 2 else 2
    _, rows = features(frame, 2)
    assert set(_versions(gunicorn, project, admin, rows, 12)) == {current}  # both workers warm
    promoted = client.post(
        f"/api/v1/projects/{project['id']}/models/{other}/promote", headers=admin
    )
    assert promoted.status_code == 200
    time.sleep(5)  # the bound under test: the project lookup each process caches (2 s)
    assert set(_versions(gunicorn, project, admin, rows, 12)) == {other}
