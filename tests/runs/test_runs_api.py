"""End to end over HTTP on the embedded default: train, predict, logs, models, failures."""

import csv
import io

import pytest

from tests.runs.support import (
    create_project,
    project_storage,
    start,
    wait_for,
    write_batches,
)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_train_then_predict(client, team, task, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, task)
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    run = start(client, admin, project["id"], "train")
    assert run["status"] in ("queued", "running", "succeeded")
    done = wait_for(client, admin, run["id"])
    assert done["status"] == "succeeded", done
    assert done["model_version"] == 1
    metric = "balanced_accuracy" if task == "binary" else "rmse"
    assert done["metric"] == metric and metric in done["metrics"]
    assert "error_traceback" not in done or done["error_traceback"] is None

    models = client.get(f"/api/v1/projects/{project['id']}/models", headers=admin).get_json()
    assert models["production_version"] == 1
    model = models["models"][0]
    assert model["production"] is True
    assert {f["file"] for f in model["lineage"]} == {
        f"{prefix}_01012020_120000.csv",
        f"{prefix}_02012020_120001.csv",
    }
    assert all(len(f["sha256"]) == 64 and f["rows"] > 0 for f in model["lineage"])

    logs = client.get(f"/api/v1/runs/{run['id']}/logs?after=0", headers=admin).get_json()
    seqs = [r["seq"] for r in logs["records"]]
    assert seqs == sorted(seqs) and seqs[0] == 1 and logs["next"] == seqs[-1]
    assert any("held_out" in r["message"] for r in logs["records"])
    later = client.get(f"/api/v1/runs/{run['id']}/logs?after={seqs[-3]}", headers=admin)
    assert [r["seq"] for r in later.get_json()["records"]] == seqs[-2:]

    storage, stored = project_storage(app, team.workspace_id, project["id"])
    assert [e.name for e in storage.walk(f"{stored.root}/logs")]
    assert storage.exists(f"{stored.root}/models/v1/manifest.json")

    written = write_batches(
        app, team.workspace_id, project["id"], frame, prefix, "prediction", rows=120
    )
    # The same batch again under another name: read once, but every file gets its rows.
    copy_path = (
        written[0][0].replace("_120000.csv", "_235959.csv").replace("_01012020", "_09012020")
    )
    storage.copy(written[0][0], copy_path)
    written.append((copy_path, written[0][1]))
    predict = start(client, admin, project["id"], "predict")
    done = wait_for(client, admin, predict["id"])
    assert done["status"] == "succeeded", done
    accepted_rows = sum(rows for _, rows in written)
    assert done["output_rows"] == accepted_rows
    response = client.get(f"/api/v1/runs/{predict['id']}/predictions", headers=admin)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == accepted_rows
    header = list(rows[0])
    assert header[:4] == ["source_file", "row", "sample_id", "prediction"]
    if task == "binary":
        assert header[4:] == ["probability_benign", "probability_malignant"]
    assert {r["source_file"] for r in rows} == {p.rsplit("/", 1)[-1] for p, _ in written}
    assert storage.exists(done["output_path"])


def test_second_training_press_is_refused_while_one_is_active(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    first = start(client, admin, project["id"], "train")
    second = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "train"}, headers=admin
    )
    if second.status_code == 202:  # the first one finished already on a fast machine
        assert wait_for(client, admin, first["id"])["status"] == "succeeded"
    else:
        assert second.status_code == 409
        assert "already queued or running" in second.get_json()["error"]["message"]
    wait_for(client, admin, first["id"])
    wait_for(client, admin, second.get_json()["id"]) if second.status_code == 202 else None


def test_training_with_no_files_fails_clearly(client, team):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "failed"
    assert done["message"].startswith("No training files")


def test_every_file_rejected_fails_clearly(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary")
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    storage.write_bytes(f"{stored.root}/training_batches/notes.csv", b"a,b\n1,2\n")
    storage.write_bytes(
        f"{stored.root}/training_batches/{prefix}_01012020_120000.csv",
        b"only,three,columns\n1,2,3\n",
    )
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "failed"
    assert "Every training file was rejected (2 files" in done["message"]
    assert done["validation_id"]


def test_predict_without_model_fails_clearly(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction")
    done = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert done["status"] == "failed"
    assert "no production model" in done["message"]


def test_unknown_kind_is_a_400(client, team):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    response = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "deploy"}, headers=admin
    )
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": {"$ne": 1}}, headers=admin
    )
    assert response.status_code == 400
