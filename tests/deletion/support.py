"""Helpers for deletion tests: a project on any backend, many small files, waiting for a
deletion, and the search of every collection for a project's id."""

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bson import ObjectId

from controllers.context import get_db
from integration.layout import project_path
from tests.runs.support import project_storage

# The deletion job and the audit trail say what was deleted: they are the record of it.
RECORDS_OF_THE_DELETION = {"deletions", "audit_events", "audit_heads"}
PLATFORM_FOLDERS = ("models", "predictions", "reports", "logs", "quarantine", "predictions_held")


def connection_for(client, team, provider, storage_service):
    """A connection of ``provider`` on a fresh bucket (None: the workspace's built-in one)."""
    if provider == "local":
        return None
    service = storage_service(provider)
    bucket = f"del-{uuid.uuid4().hex[:12]}"
    service.create_bucket(bucket)
    body = {
        "name": f"{provider} {bucket}",
        "provider": provider,
        "settings": service.settings(bucket),
    }
    response = client.post(
        "/api/v1/connections",
        data=json.dumps(body),
        headers=team.headers("owner"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def fill(app, workspace_id, project_id, total):
    """Write small files into the project's folders until it holds ``total`` files; return
    the paths of its batch files (what ``files=platform`` keeps)."""
    storage, project = project_storage(app, workspace_id, project_id)
    existing = [entry.path for entry in storage.walk(project.root)]
    missing = total - len(existing)
    folders = (*PLATFORM_FOLDERS, "models/v1/extra", "quarantine/vid", "training_batches")
    paths = [
        project_path(project.root, folders[i % len(folders)], f"filler_{i:05d}.txt")
        for i in range(missing)
    ]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda path: storage.write_bytes(path, b"x"), paths))
    return storage, project


def batch_files(storage, project):
    return sorted(
        entry.path
        for folder in ("training_batches", "prediction_batches")
        for entry in storage.walk(project_path(project.root, folder))
    )


def wait_deleted(client, headers, deletion_id, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/deletions/{deletion_id}", headers=headers).get_json()
        if body["state"] != "deleting":
            return body
        time.sleep(0.2)
    raise AssertionError(f"deletion {deletion_id} still deleting after {timeout}s: {body}")


def documents_naming(app, project_id):
    """{collection: count} of documents that carry the id in a field known to hold one."""
    found = {}
    with app.app_context():
        db = get_db()
        query = {
            "$or": [
                {"project_id": project_id},
                {"_id": project_id},
                {"_id": ObjectId(project_id)},
                {"_id": f"train:{project_id}"},
                {"target.id": project_id},
            ]
        }
        for name in db.list_collection_names():
            if name in RECORDS_OF_THE_DELETION:
                continue
            count = db[name].count_documents(query)
            if count:
                found[name] = count
    return found
