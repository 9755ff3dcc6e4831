"""Deleting a workspace whose project lives on a cloud connection (the S3 emulator): the
project's platform files go through that connection before the connection itself is
dropped, the team's batch files stay, and no record of the workspace's is left."""

import pytest
from bson import ObjectId

from controllers.context import get_store
from tests.deletion.support import batch_files, connection_for, documents_naming
from tests.deletion.test_targets import wait_state
from tests.runs.support import project_storage, start, train_project, wait_for, write_batches

pytestmark = pytest.mark.slow


def test_a_workspace_on_s3_is_deleted_through_its_connection(client, team, app, storage_service):
    admin = team.headers("admin")
    connection_id = connection_for(client, team, "s3", storage_service)
    project, frame, prefix = train_project(client, team, app, connection_id=connection_id)
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction")
    predicted = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert predicted["status"] == "succeeded", predicted
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    kept = batch_files(storage, stored)
    assert kept and len(storage.walk(stored.root)) > len(kept)  # models, predictions, logs

    url = f"/api/v1/workspaces/{team.workspace_id}"
    response = client.delete(url, headers=team.headers("owner"), json={"confirm": "Team"})
    assert response.status_code == 202, response.get_json()
    with app.app_context():
        store = get_store()
        wait_state(store, team.workspace_id, response.get_json()["id"], timeout=120)
        assert store.deletions.get(team.workspace_id, response.get_json()["id"]).state == (
            "deleted"
        )
        assert store.db["connections"].count_documents({"_id": ObjectId(connection_id)}) == 0
        assert store.db["workspaces"].count_documents({"_id": ObjectId(team.workspace_id)}) == 0
    assert sorted(entry.path for entry in storage.walk(stored.root)) == kept
    assert documents_naming(app, project["id"]) == {}
