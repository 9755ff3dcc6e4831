"""Around the prediction endpoint: rate limits, records of calls and samples, and a model
file that no longer verifies (refused with 503, never unpickled)."""

import json
import pickle

import pytest

from controllers.context import get_store
from integration.layout import models_folder
from integration.registry import project_storage
from project_library.models.artifacts import ARTIFACT, version_folder
from project_library.serving.service import stats_summary
from tests.serving.test_predict_api import features, predict, trained


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "PREDICT_RATELIMIT": "4 per minute",
        "PREDICT_SAMPLE_PER_DAY": 2,
    }


def test_rate_limit_records_and_samples(client, team, app):
    project, frame, _ = trained(client, team, app, "binary")
    _, rows = features(frame, 3)
    admin = team.headers("admin")
    answers = [predict(client, admin, project, {"rows": rows}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    bad = predict(client, admin, project, {"rows": [{"nope": 1}]})
    assert bad.status_code == 422
    limited = predict(client, admin, project, {"rows": rows})
    assert limited.status_code == 429 and limited.json["error"]["message"]
    created = client.post(
        f"/api/v1/projects/{project['id']}/prediction-tokens", json={}, headers=admin
    ).json
    other_token = {"Authorization": f"Bearer {created['token']}"}
    assert predict(client, other_token, project, {"rows": rows}).status_code == 200  # own limit
    app.extensions["serving"].flush()
    with app.app_context():
        store = get_store()
    summary = stats_summary(store, team.workspace_id, project["id"])
    assert summary["calls"] == 5 and summary["errors"] == 1 and summary["rows"] == 12
    assert summary["p50_ms"] is not None and summary["p99_ms"] >= summary["p50_ms"]
    samples = store.serving.recent_samples(team.workspace_id, project["id"])
    assert len(samples) == 2  # at most PREDICT_SAMPLE_PER_DAY
    assert samples[0]["answer"]["predictions"] and samples[0]["request"]["rows"]


class Boom:
    """Unpickling this would leave a mark: the test checks nothing ever does."""

    marker = None

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_tampered_model_is_refused_with_503_and_never_unpickled(client, team, app, tmp_path):
    project, frame, _ = trained(client, team, app, "binary")
    with app.app_context():
        store = get_store()
        stored = store.projects.get(team.workspace_id, project["id"])
    marker = tmp_path / "unpickled"
    Boom.marker = str(marker)
    path = f"{version_folder(models_folder(stored), 1)}/{ARTIFACT}"
    project_storage(store, stored).write_bytes(path, pickle.dumps(Boom()))
    _, rows = features(frame, 2)
    refused = predict(client, team.headers("admin"), project, {"rows": rows})
    assert refused.status_code == 503
    message = refused.json["error"]["message"]
    assert "refused" in message and "Traceback" not in json.dumps(refused.json)
    assert not marker.exists()
