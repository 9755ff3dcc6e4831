"""Deleting a model version (never the production one), a run (its own files), a workspace
(its owner only, with its name typed), and another workspace's ids answering 404."""

import time

import pytest
from bson import ObjectId

from controllers.context import get_store
from integration.layout import log_path, report_path
from project_library.deletion.requests import request_project_deletion
from tests.deletion.support import documents_naming, wait_deleted
from tests.runs.support import (
    create_project,
    project_storage,
    start,
    train_project,
    wait_for,
    write_batches,
)

pytestmark = pytest.mark.slow


def test_model_versions_and_runs(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = train_project(client, team, app)
    pid = project["id"]
    refused = client.delete(f"/api/v1/projects/{pid}/models/1", headers=admin)
    assert refused.status_code == 409
    assert "promote another first" in refused.get_json()["error"]["message"]

    second = wait_for(client, admin, start(client, admin, pid, "train")["id"])
    assert second["status"] == "succeeded", second
    production = client.get(f"/api/v1/projects/{pid}/models", headers=admin).get_json()
    other = 2 if production["production_version"] == 1 else 1
    storage, stored = project_storage(app, team.workspace_id, pid)
    folder = f"{stored.root}/models/v{other}"
    assert storage.walk(folder) and storage.exists(report_path(stored, other))
    response = client.delete(f"/api/v1/projects/{pid}/models/{other}", headers=admin)
    assert response.status_code == 202, response.get_json()
    done = wait_deleted(client, admin, response.get_json()["id"])
    assert done["state"] == "deleted", done
    assert not storage.exists(folder) and not storage.exists(report_path(stored, other))
    assert client.get(f"/projects/{pid}/models/{other}").status_code in (302, 404)
    versions = client.get(f"/api/v1/projects/{pid}/models", headers=admin).get_json()["models"]
    assert [v["version"] for v in versions] == [production["production_version"]]

    write_batches(app, team.workspace_id, pid, frame, prefix, "prediction")
    run = wait_for(client, admin, start(client, admin, pid, "predict")["id"])
    with app.app_context():
        record = get_store().runs.get(team.workspace_id, run["id"])
    files = [log_path(stored, record), record.output_path]
    drift = [e.path for e in storage.walk(f"{stored.root}/predictions") if run["id"] in e.name]
    assert all(storage.exists(path) for path in files) and drift
    response = client.delete(f"/api/v1/runs/{run['id']}", headers=admin)
    assert response.status_code == 202, response.get_json()
    done = wait_deleted(client, admin, response.get_json()["id"])
    assert done["state"] == "deleted", done
    assert done["counts"]["objects"] == len(files) + len(set(drift) - set(files))
    assert not any(storage.exists(path) for path in files + drift)
    assert client.get(f"/api/v1/runs/{run['id']}", headers=admin).status_code == 404
    with app.app_context():
        assert get_store().run_logs.last_seq(run["id"]) == 0


def test_a_project_being_deleted_refuses_runs_and_predictions(client, team, app):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    with app.app_context():  # the job asked for but not started: the project stays marked
        request_project_deletion(get_store(), team.workspace_id, project["id"], None, None)
    body = client.get(f"/api/v1/projects/{project['id']}", headers=admin).get_json()
    assert body["deleting"] is True
    start_train = {"kind": "train"}
    runs = client.post(f"/api/v1/projects/{project['id']}/runs", json=start_train, headers=admin)
    assert runs.status_code == 409 and runs.get_json()["error"]["code"] == "project_deleting"
    predict = client.post(f"/api/v1/projects/{project['id']}/predict", json=[], headers=admin)
    assert predict.status_code == 404


def test_another_workspaces_ids_answer_404(client, team, app):
    project, _, _ = create_project(client, team.headers("admin"), "binary")
    outsider = team.headers("outsider")
    for path in (
        f"/api/v1/projects/{project['id']}",
        f"/api/v1/projects/{project['id']}/models/1",
        f"/api/v1/workspaces/{team.workspace_id}",
    ):
        assert client.delete(path, headers=outsider, json={"confirm": "Team"}).status_code == 404
    response = client.delete(f"/api/v1/projects/{project['id']}", headers=team.headers("admin"))
    assert (
        client.get(f"/api/v1/deletions/{response.get_json()['id']}", headers=outsider).status_code
        == 404
    )


def test_only_the_owner_deletes_a_workspace_with_its_name_typed(client, team, app):
    project, _, _ = create_project(client, team.headers("admin"), "binary")
    url = f"/api/v1/workspaces/{team.workspace_id}"
    for role in ("admin", "viewer"):
        assert (
            client.delete(url, headers=team.headers(role), json={"confirm": "Team"}).status_code
            == 403
        )
    wrong = client.delete(url, headers=team.headers("owner"), json={"confirm": "team"})
    assert wrong.status_code == 400
    response = client.delete(url, headers=team.headers("owner"), json={"confirm": "Team"})
    assert response.status_code == 202, response.get_json()
    deletion_id = response.get_json()["id"]
    with app.app_context():
        store = get_store()
        wait_state(store, team.workspace_id, deletion_id)
        assert store.deletions.get(team.workspace_id, deletion_id).state == "deleted"
        assert store.db["memberships"].count_documents({"workspace_id": team.workspace_id}) == 0
        assert store.db["connections"].count_documents({"workspace_id": team.workspace_id}) == 0
        assert store.db["workspaces"].count_documents({"_id": ObjectId(team.workspace_id)}) == 0
    assert documents_naming(app, project["id"]) == {}


def wait_state(store, workspace_id, deletion_id, timeout=60):
    deadline = time.monotonic() + timeout
    while store.deletions.get(workspace_id, deletion_id).state == "deleting":
        assert time.monotonic() < deadline
        time.sleep(0.2)
