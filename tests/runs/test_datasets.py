"""Train and predict every real classic-format project in ../shared/datasets (when present)."""

import json
from pathlib import Path

import pytest

from tests.runs.support import project_storage, start, wait_for

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
PROJECTS = {
    "wafer": {"task": "binary", "target": "Output", "id_columns": ["Wafer"]},
    "cement": {"task": "regression", "target": "Concrete_compressive_strength"},
    "mushroom": {"task": "binary", "target": "class"},
    "forest_cover": {"task": "multiclass", "target": "class"},
}
# Better than chance within a 10 s budget on a busy 2-core machine: balanced accuracy of a
# constant guess is 0.5; macro F1 of the majority class over 7 classes is under 0.1; the
# cement target's standard deviation is about 16.7.
FLOOR = {"wafer": 0.5, "cement": 12.0, "mushroom": 0.95, "forest_cover": 0.3}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.datasets,
    pytest.mark.skipif(not DATASETS.exists(), reason="no ../shared/datasets on this machine"),
]


def copy_batches(storage, source, folder):
    count = 0
    for path in sorted(source.iterdir()) if source.exists() else []:
        if path.is_file():
            storage.write_bytes(f"{folder}/{path.name}", path.read_bytes())
            count += 1
    return count


@pytest.mark.parametrize("name", list(PROJECTS))
def test_real_project_trains_and_predicts(name, client, team, app):
    admin = team.headers("admin")
    source = DATASETS / name
    body = {
        "name": name,
        **PROJECTS[name],
        "time_budget_s": 10,
        "training_schema": json.loads((source / "schema_training.json").read_text()),
    }
    if (source / "schema_prediction.json").exists():
        body["prediction_schema"] = json.loads((source / "schema_prediction.json").read_text())
    response = client.post(
        "/api/v1/projects", data=json.dumps(body), headers=admin, content_type="application/json"
    )
    assert response.status_code == 201, response.get_json()
    project = response.get_json()
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    copy_batches(storage, source / "training_batch", f"{stored.root}/training_batches")
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"], timeout=600)
    assert done["status"] == "succeeded", done
    value = done["metrics"][done["metric"]]
    if done["metric"] == "rmse":
        assert value <= FLOOR[name]
    else:
        assert value > FLOOR[name]
    if "prediction_schema" not in body:
        return
    files = copy_batches(storage, source / "prediction_batch", f"{stored.root}/prediction_batches")
    assert files
    done = wait_for(
        client, admin, start(client, admin, project["id"], "predict")["id"], timeout=600
    )
    assert done["status"] == "succeeded", done
    report = client.get(f"/api/v1/validations/{done['validation_id']}", headers=admin).get_json()
    assert done["output_rows"] == report["counts"]["rows"]  # every accepted row, once per file
