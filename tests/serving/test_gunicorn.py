"""Two gunicorn workers serve a project's production model; a promotion reaches both within
5 seconds, without a restart."""

import json
import time
import urllib.request

import pytest

from tests.runs.support import start, wait_for
from tests.serving.test_predict_api import features, trained
from tests.support.gunicorn import serve

pytestmark = pytest.mark.slow


@pytest.fixture
def gunicorn(app, app_config, tmp_path):
    base, server = serve(app, app_config, tmp_path)
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
