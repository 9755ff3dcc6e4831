"""Cancel, start-up recovery, refused model files, and who may see and do what."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app import create_app
from controllers.context import get_db
from entity.run import Run, RunRepository
from tests.runs.support import (
    create_project,
    project_storage,
    start,
    wait_for,
    wait_step,
    write_batches,
)
from tests.support.process import app_env

ROOT = Path(__file__).resolve().parents[2]


def bigger(frame, copies=6, seed=0):
    """Distinct noisy copies of a table, so training takes a few seconds."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(copies):
        part = frame.copy()
        numeric = part.select_dtypes("number").columns.drop("label", errors="ignore")
        part[numeric] = part[numeric] * (1 + rng.normal(0, 0.01, (len(part), len(numeric))))
        part["sample_id"] = part["sample_id"] + f"-{i}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def trained_project(client, team, app, task="binary"):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, task)
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "succeeded", done
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction", rows=40)
    return project, done


def test_cancel_mid_training_stops_at_the_next_candidate(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary", budget=120)
    write_batches(app, team.workspace_id, project["id"], bigger(frame), prefix, "training")
    run = start(client, admin, project["id"], "train")
    wait_for(client, admin, run["id"], statuses=("running",))
    wait_step(client, admin, run["id"], "train")
    response = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin)
    assert response.status_code == 200
    done = wait_for(client, admin, run["id"])
    assert done["status"] == "cancelled"
    assert done["model_version"] is None
    again = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin)
    assert again.status_code == 409
    # The lock is released: a new training may start.
    second = start(client, admin, project["id"], "train")
    client.post(f"/api/v1/runs/{second['id']}/cancel", headers=admin)
    assert wait_for(client, admin, second["id"])["status"] == "cancelled"


def test_restart_interrupts_orphans_and_picks_up_queued_runs(client, team, app, app_config):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "regression")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    with app.app_context():
        runs = RunRepository(get_db())
        orphan = runs.collection.insert_one(
            {
                "workspace_id": team.workspace_id,
                "project_id": project["id"],
                "kind": "predict",
                "status": "running",
                "worker": "gone-host-name:1",
                "step": "predict",
                "heartbeat_at": None,
                "created_at": None,
                "metrics": {},
            }
        ).inserted_id
        queued = Run(
            workspace_id=team.workspace_id,
            project_id=project["id"],
            kind="train",
            created_by_email="admin@example.com",
        )
        queued = runs.create(queued)  # recorded, never handed to an executor
    create_app(app_config)  # a new process starting on the same database
    done = wait_for(client, admin, queued.id)
    assert done["status"] == "succeeded"
    orphaned = client.get(f"/api/v1/runs/{orphan}", headers=admin).get_json()
    assert orphaned["status"] == "interrupted"
    assert "Interrupted" in orphaned["message"]


@pytest.mark.parametrize("damage", ["corrupt", "unsigned"])
def test_refused_model_file_fails_prediction_clearly(client, team, app, damage):
    project, _ = trained_project(client, team, app)
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    if damage == "corrupt":
        storage.write_bytes(f"{stored.root}/models/v1/model.pkl", b"\x80\x05not a model")
        expected = "does not match the signed manifest"
    else:
        storage.write_bytes(
            f"{stored.root}/models/v1/manifest.json", b'{"version": 1, "artifact": {"sha256": "x"}}'
        )
        expected = "carries no signature"
    admin = team.headers("admin")
    done = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert done["status"] == "failed"
    assert expected in done["message"] and "refused" in done["message"]
    promote = client.post(f"/api/v1/projects/{project['id']}/models/1/promote", headers=admin)
    assert promote.status_code == 409


def test_a_failure_shows_type_message_and_error_id_the_traceback_stays_in_the_server_log(
    client, team, app, caplog
):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    with app.app_context():  # a stored value the code does not expect: an unexpected error
        get_db()["projects"].update_one({}, {"$set": {"id_columns": 5}})
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "failed"
    assert done["message"] == "Unexpected error (TypeError); an admin can read the details."
    error = done["error"]
    assert error["type"] == "TypeError" and "not iterable" in error["message"] and error["id"]
    assert "error_traceback" not in done and "Traceback" not in str(done)
    logged = [
        r for r in caplog.records if getattr(r, "exc_info", None) and error["id"] in r.msg % r.args
    ]
    assert len(logged) == 1 and logged[0].exc_info[0].__name__ == error["type"]
    viewer = client.get(f"/api/v1/runs/{done['id']}", headers=team.headers("viewer")).get_json()
    assert "error" not in viewer and "error_traceback" not in viewer
    assert "Traceback" not in viewer["message"] and "/" not in viewer["message"].split(":")[0]
    team.login(client, "admin")
    page = client.get(f"/runs/{done['id']}").get_data(as_text=True)
    assert error["id"] in page and "Traceback" not in page and 'File "' not in page
    logs = client.get(f"/api/v1/runs/{done['id']}/logs", headers=admin).get_json()["records"]
    assert any(error["id"] in r["message"] for r in logs)
    assert not any("Traceback" in r["message"] for r in logs)
    viewer_page = team.login(app.test_client(), "viewer").get(f"/runs/{done['id']}")
    assert viewer_page.status_code == 200 and error["id"] not in viewer_page.get_data(as_text=True)


def test_a_cli_command_recovers_nothing_and_starts_no_ticker(client, team, app, app_config):
    """``flask db uri`` builds the app in a process about to exit: a queued run stays
    queued, a run left running by a gone process stays as it is, and nothing ticks."""
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "regression")
    with app.app_context():
        runs = RunRepository(get_db())
        queued = runs.create(
            Run(workspace_id=team.workspace_id, project_id=project["id"], kind="train")
        )
        orphan = runs.collection.insert_one(
            {
                "workspace_id": team.workspace_id,
                "project_id": project["id"],
                "kind": "predict",
                "status": "running",
                "worker": "gone-host-name:1",
                "heartbeat_at": None,
            }
        ).inserted_id
    env = {
        **os.environ,
        **app_env(app_config),
        "MLP_SCHEDULER": "true",
        "MLP_TICK_SECONDS": "0.1",
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "db", "uri"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert app_config["MONGODB_URI"] in done.stdout
    assert "runs_recovered" not in done.stderr and "ticker_started" not in done.stderr
    with app.app_context():
        assert runs.get_by_id(queued.id).status == "queued"
        assert runs.get_by_id(str(orphan)).status == "running"


def test_viewer_reads_but_cannot_start_or_cancel(client, team, app):
    project, done = trained_project(client, team, app)
    viewer = team.headers("viewer")
    assert (
        client.post(
            f"/api/v1/projects/{project['id']}/runs", json={"kind": "train"}, headers=viewer
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/runs/{done['id']}/cancel", headers=viewer).status_code == 403
    assert (
        client.post(
            f"/api/v1/projects/{project['id']}/models/1/promote", headers=viewer
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/runs/{done['id']}", headers=viewer).status_code == 200
    logs = client.get(f"/api/v1/runs/{done['id']}/logs?after=0", headers=viewer)
    assert logs.status_code == 200 and logs.get_json()["records"]
    assert client.get(f"/api/v1/projects/{project['id']}/models", headers=viewer).status_code == 200
    team.login(client, "viewer")
    page = client.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert "Viewers watch runs" in page
    assert client.get(f"/runs/{done['id']}").status_code == 200


def test_other_workspace_gets_404_everywhere(client, team, app):
    project, done = trained_project(client, team, app)
    admin = team.headers("admin")
    predicted = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert predicted["status"] == "succeeded"
    outsider = team.headers("outsider")
    run_id, predict_id, pid = done["id"], predicted["id"], project["id"]
    for method, url in [
        ("get", f"/api/v1/runs/{run_id}"),
        ("get", f"/api/v1/runs/{run_id}/logs?after=0"),
        ("post", f"/api/v1/runs/{run_id}/cancel"),
        ("get", f"/api/v1/runs/{predict_id}/predictions"),
        ("get", f"/api/v1/projects/{pid}/models"),
        ("post", f"/api/v1/projects/{pid}/models/1/promote"),
        ("post", f"/api/v1/projects/{pid}/runs"),
        ("get", "/api/v1/runs/not-an-id"),
    ]:
        kwargs = {"json": {"kind": "train"}} if url.endswith("/runs") else {}
        response = getattr(client, method)(url, headers=outsider, **kwargs)
        assert response.status_code == 404, (url, response.status_code)
    team.login(client, "outsider")
    for url in [
        f"/runs/{run_id}",
        f"/runs/{predict_id}/predictions.csv",
        f"/projects/{pid}/models",
    ]:
        assert client.get(url).status_code == 404, url


def test_promote_and_roll_back(client, team, app):
    project, _ = trained_project(client, team, app)
    admin = team.headers("admin")
    second = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert second["model_version"] == 2
    models = client.get(f"/api/v1/projects/{project['id']}/models", headers=admin).get_json()
    assert [m["version"] for m in models["models"]] == [2, 1]
    current = models["production_version"]
    other = 1 if current == 2 else 2
    promoted = client.post(
        f"/api/v1/projects/{project['id']}/models/{other}/promote", headers=admin
    )
    assert promoted.status_code == 200 and promoted.get_json()["production"] is True
    team.login(client, "admin")
    from tests.support.web import post_form

    post_form(
        client,
        f"/projects/{project['id']}/models/rollback",
        {},
        page=f"/projects/{project['id']}/models",
    )
    models = client.get(f"/api/v1/projects/{project['id']}/models", headers=admin).get_json()
    assert models["production_version"] == current
    assert (
        client.post(f"/api/v1/projects/{project['id']}/models/9/promote", headers=admin).status_code
        == 404
    )
