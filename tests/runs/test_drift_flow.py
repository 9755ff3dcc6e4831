"""Drift through the whole platform: every prediction run is checked against the production
version's profile; ``warn`` writes and warns, ``hold`` keeps the predictions back until an
admin releases or discards them (on local storage and on the S3 emulator)."""

import json
import time

import numpy as np
import pytest

from controllers.context import get_store
from integration.layout import HELD_PREDICTIONS, PREDICTIONS
from tests.runs.support import (
    TARGET,
    batch_name,
    create_project,
    project_storage,
    start,
    train_project,
    wait_for,
)
from tests.runs.test_s3 import s3_connection


def shifted(frame):
    """Every numeric feature moved by three of its standard deviations: a batch the model
    has never seen the like of."""
    out = frame.copy()
    for column in out.columns:
        if column in (TARGET, "constant", "empty") or column.startswith("_"):
            continue
        if out[column].dtype.kind == "f" or out[column].dtype.kind == "i":
            out[column] = out[column] + 3 * (out[column].std() or 1.0)
    return out


def write_prediction_file(app, workspace_id, project_id, frame, prefix, index):
    storage, project = project_storage(app, workspace_id, project_id)
    data = frame.drop(columns=[c for c in frame.columns if c.startswith("_")] + [TARGET])
    path = f"{project.root}/prediction_batches/{batch_name(prefix, index)}".lstrip("/")
    storage.write_bytes(path, data.to_csv(index=False).encode())
    return storage, project


def names_in(storage, project, folder):
    return {e.name for e in storage.walk(f"{project.root}/{folder}".lstrip("/"))}


def predict(client, headers, project_id):
    return wait_for(client, headers, start(client, headers, project_id, "predict")["id"])


def test_batch_like_the_training_data_passes(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = train_project(client, team, app, "binary")
    sample = frame.sample(200, random_state=3)
    write_prediction_file(app, team.workspace_id, project["id"], sample, prefix, 0)
    done = predict(client, admin, project["id"])
    assert done["status"] == "succeeded", done
    assert done["drifted"] is False
    report = client.get(f"/api/v1/runs/{done['id']}/drift", headers=admin).get_json()
    assert report["drifted"] is False
    names = {f["name"] for f in report["features"]}
    assert "sample_id" not in names  # identifiers are not checked
    assert {"name", "kind", "statistic", "value", "threshold", "drifted", "unseen"} <= set(
        report["features"][0]
    )
    assert report["prediction"]["drifted"] is False


def test_warn_writes_the_predictions_and_says_so(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = train_project(client, team, app, "binary")
    storage, stored = write_prediction_file(
        app, team.workspace_id, project["id"], shifted(frame.sample(300, random_state=1)), prefix, 0
    )
    done = predict(client, admin, project["id"])
    assert done["status"] == "succeeded", done
    assert done["drifted"] is True
    assert "Drift:" in done["message"] and "drifted" in done["message"]
    assert storage.exists(done["output_path"])
    drift_files = [n for n in names_in(storage, stored, PREDICTIONS) if n.startswith("drift_")]
    assert len(drift_files) == 1
    saved = json.loads(storage.read_bytes(f"{stored.root}/{PREDICTIONS}/{drift_files[0]}"))
    assert saved["drifted"] is True
    team.login(client, "viewer")
    page = client.get(f"/runs/{done['id']}").get_data(as_text=True)
    assert "Drift" in page, page[-3000:]
    assert "Predictions: this batch and held-out rows" in page, page[-6000:]


def hold_then_decide(client, team, app, project, frame, prefix):
    """A held run released, then another held run discarded; the files end where they say."""
    admin = team.headers("admin")
    viewer = team.headers("viewer")
    storage, stored = write_prediction_file(
        app, team.workspace_id, project["id"], shifted(frame.sample(250, random_state=2)), prefix, 0
    )
    held = predict(client, admin, project["id"])
    assert held["status"] == "needs_review", held
    assert held["message"].startswith("Held for review:")
    assert held["output_path"] is None
    assert not [n for n in names_in(storage, stored, PREDICTIONS) if n.startswith("predictions_")]
    assert len(names_in(storage, stored, HELD_PREDICTIONS)) == 1
    mails = held_mails(app, held["id"])  # the people who rely on the predictions are told
    assert any("held for review" in m["subject"] for m in mails), mails
    assert any("Drift check:" in m["body"] for m in mails)
    # The held batch counts as dealt with: a new-files run does not predict it again.
    again = predict(client, admin, project["id"])
    assert again["status"] == "skipped", again
    # Viewers watch, admins decide.
    refused = client.post(
        f"/api/v1/runs/{held['id']}/review", json={"decision": "release"}, headers=viewer
    )
    assert refused.status_code == 403
    released = client.post(
        f"/api/v1/runs/{held['id']}/review", json={"decision": "release"}, headers=admin
    )
    assert released.status_code == 200, released.get_json()
    body = released.get_json()
    assert body["status"] == "succeeded" and body["review"]["decision"] == "released"
    assert storage.exists(body["output_path"])
    assert not names_in(storage, stored, HELD_PREDICTIONS)
    twice = client.post(
        f"/api/v1/runs/{held['id']}/review", json={"decision": "discard"}, headers=admin
    )
    assert twice.status_code == 409

    write_prediction_file(
        app, team.workspace_id, project["id"], shifted(frame.sample(250, random_state=5)), prefix, 1
    )
    second = predict(client, admin, project["id"])
    assert second["status"] == "needs_review", second
    discarded = client.post(
        f"/api/v1/runs/{second['id']}/review", json={"decision": "discard"}, headers=admin
    )
    assert discarded.status_code == 200, discarded.get_json()
    assert discarded.get_json()["status"] == "discarded"
    assert not names_in(storage, stored, HELD_PREDICTIONS)
    predicted = [n for n in names_in(storage, stored, PREDICTIONS) if n.startswith("predictions_")]
    assert len(predicted) == 1  # the released one only


def test_hold_keeps_predictions_back_until_released_or_discarded(client, team, app):
    project, frame, prefix = train_project(client, team, app, "binary", drift_action="hold")
    hold_then_decide(client, team, app, project, frame, prefix)


@pytest.mark.slow
def test_hold_on_the_s3_emulator(client, team, app, moto_service):
    connection_id = s3_connection(client, team.headers("owner"), moto_service)
    project, frame, prefix = train_project(
        client, team, app, "binary", drift_action="hold", connection_id=connection_id
    )
    hold_then_decide(client, team, app, project, frame, prefix)


def test_unknown_drift_action_is_refused(client, team):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary", name="drift setting")
    response = client.patch(
        f"/api/v1/projects/{project['id']}", json={"drift_action": "explode"}, headers=admin
    )
    assert response.status_code == 400
    assert "warn" in response.get_json()["error"]["message"]


def test_run_without_a_drift_report_says_so(client, team, app):
    admin = team.headers("admin")
    project, _, _ = train_project(client, team, app, "regression")
    runs = client.get(f"/api/v1/projects/{project['id']}/runs", headers=admin).get_json()
    train_run = runs["runs"][0]
    response = client.get(f"/api/v1/runs/{train_run['id']}/drift", headers=admin)
    assert response.status_code == 404
    assert "drift report" in response.get_json()["error"]["message"]
    assert np.isfinite(train_run["metrics"]["rmse"])


def held_mails(app, run_id, timeout=15):
    """The run's mails once its "held for review" mail is queued (just after the run turns
    final)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            mails = [m for m in get_store().outbox.latest() if m.get("run_id") == run_id]
        if any("held for review" in m["subject"] for m in mails) or time.monotonic() > deadline:
            return mails
        time.sleep(0.1)
