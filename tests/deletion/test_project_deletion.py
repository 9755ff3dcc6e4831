"""Deleting a trained, predicted project of about 1,200 objects on every backend: afterwards
its prefix is empty (files=all) or holds only the batch files (files=platform), and no
collection holds a document with its id."""

import time

import pytest

from controllers.context import get_store
from tests.deletion.support import (
    batch_files,
    connection_for,
    documents_naming,
    fill,
    wait_deleted,
)
from tests.runs.support import start, train_project, wait_for, write_batches

OBJECTS = 1200

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("provider", "files"),
    [("local", "platform"), ("local", "all"), ("s3", "all"), ("azure", "platform"), ("gcs", "all")],
)
def test_delete_a_trained_predicted_project(client, team, app, storage_service, provider, files):
    admin = team.headers("admin")
    connection_id = connection_for(client, team, provider, storage_service)
    extra = {"connection_id": connection_id} if connection_id else {}
    project, frame, prefix = train_project(client, team, app, **extra)
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction")
    predicted = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert predicted["status"] == "succeeded", predicted
    storage, stored = fill(app, team.workspace_id, project["id"], OBJECTS)
    assert len(storage.walk(stored.root)) == OBJECTS
    kept = batch_files(storage, stored)

    began = time.monotonic()
    response = client.delete(f"/api/v1/projects/{project['id']}?files={files}", headers=admin)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["state"] == "deleting"
    done = wait_deleted(client, admin, response.get_json()["id"])
    took = time.monotonic() - began

    assert done["state"] == "deleted", done
    left = sorted(entry.path for entry in storage.walk(stored.root))
    assert left == ([] if files == "all" else kept)
    assert done["counts"]["objects"] == OBJECTS - (0 if files == "all" else len(kept))
    assert done["counts"]["records"] > 0
    assert client.get(f"/api/v1/projects/{project['id']}", headers=admin).status_code == 404
    assert documents_naming(app, project["id"]) == {}
    with app.app_context():
        event = get_store().db["audit_events"].find_one({"action": "project.delete"})
    assert event["outcome"] == "ok"
    assert event["details"]["objects"] == done["counts"]["objects"]
    assert event["details"]["records"] == done["counts"]["records"]
    print(f"\n{provider} files={files}: {done['counts']} in {took:.1f}s")
