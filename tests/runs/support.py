"""Helpers for run tests: a classic-format project with generated batch files, and waiting."""

import json
import time

from controllers.context import get_store
from entity.run import FINISHED
from integration import registry
from integration.layout import project_path
from tests.runs.data import table

TYPES = {"float64": "float", "int64": "Integer", "str": "varchar", "object": "varchar"}
TARGET = "label"


def classic_schema(frame, prefix, with_target=True):
    columns = {}
    for name in frame.columns:
        if name.startswith("_") or (name == TARGET and not with_target):
            continue
        columns[name] = TYPES.get(str(frame[name].dtype), "varchar")
    return {
        "SampleFileName": f"{prefix}_08012020_120000.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": len(columns),
        "ColName": columns,
    }


def batch_name(prefix, index):
    return f"{prefix}_0{index + 1}012020_1200{index:02d}.csv"


def create_project(client, headers, task, *, name=None, budget=5, **extra):
    frame = table(task)
    prefix = {"binary": "cancer", "multiclass": "wine", "regression": "diabetes"}[task]
    body = {
        "name": name or f"{prefix} project",
        "task": task,
        "target": TARGET,
        "id_columns": ["sample_id"],
        "training_schema": classic_schema(frame, prefix),
        "prediction_schema": classic_schema(frame, prefix, with_target=False),
        "time_budget_s": budget,
        **extra,
    }
    # Raw JSON: the Flask test client's json= sorts keys, and ColName order is positional.
    response = client.post(
        "/api/v1/projects", data=json.dumps(body), headers=headers, content_type="application/json"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json(), frame, prefix


def project_storage(app, workspace_id, project_id):
    with app.app_context():
        project = get_store().projects.get(workspace_id, project_id)
        return registry.project_storage(get_store(), project), project


def write_batches(app, workspace_id, project_id, frame, prefix, kind, files=2, rows=None):
    """Split ``frame`` into ``files`` CSV batch files in the project's batch folder."""
    storage, project = project_storage(app, workspace_id, project_id)
    folder = "training_batches" if kind == "training" else "prediction_batches"
    data = frame.drop(columns=[c for c in frame.columns if c.startswith("_")])
    if kind == "prediction":
        data = data.drop(columns=[TARGET])
    if rows:
        data = data.iloc[:rows]
    written = []
    for index in range(files):
        part = data.iloc[index::files]
        path = project_path(project.root, folder, batch_name(prefix, index))
        storage.write_bytes(path, part.to_csv(index=False).encode())
        written.append((path, len(part)))
    return written


def wait_for(
    client,
    headers,
    run_id,
    statuses=FINISHED,
    timeout=180,
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/runs/{run_id}", headers=headers).get_json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {body['status']} after {timeout}s: {body}")


def start(client, headers, project_id, kind):
    response = client.post(
        f"/api/v1/projects/{project_id}/runs", json={"kind": kind}, headers=headers
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def wait_step(client, headers, run_id, step, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/runs/{run_id}", headers=headers).get_json()
        if body["step"] == step:
            return body
        assert body["status"] in ("queued", "running"), body
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached step {step}")


def train_project(client, team, app, task="binary", **extra):
    """A project of ``task`` with its training batches written and one version trained:
    (project, the generated frame, the file prefix)."""
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, task, **extra)
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "succeeded", done
    return project, frame, prefix
