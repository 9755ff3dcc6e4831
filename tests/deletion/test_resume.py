"""A deletion whose process died mid-way is finished by the next one, exactly once: the
first steps run, the claim is abandoned (its heartbeat made stale by a direct database
edit), and the ticker's periodic step takes it over and completes it."""

from datetime import UTC, datetime, timedelta
from functools import partial

from bson import ObjectId

from controllers.context import get_store
from project_library.deletion.files import first_files
from project_library.deletion.requests import request_project_deletion
from project_library.deletion.steps import JobContext, steps_for
from tests.deletion.support import documents_naming, fill, wait_deleted
from tests.runs.support import create_project, project_storage

OBJECTS = 1200


def abandoned_mid_way(app, team, project_id):
    """Claim the project's deletion as a process that then dies: pause the project, delete
    one batch of its files, then stop beating (its heartbeat an hour old)."""
    storage, project = project_storage(app, team.workspace_id, project_id)
    with app.app_context():
        store = get_store()
        deletion = request_project_deletion(store, team.workspace_id, project_id, "all", None)
        claimed = store.deletions.claim(deletion.id, "gone-host:1:dead", datetime.now(UTC))
        context = JobContext(store, claimed, partial(store.deletions.progress, claimed))
        name, pause = steps_for(claimed)[0]
        context.report(step=name)
        pause(context)
        batch = first_files(storage, project.root, 500)
        storage.delete_files(batch)
        context.report(step="delete_files", objects=len(batch))
        store.db["deletions"].update_one(
            {"_id": ObjectId(claimed.id)},
            {"$set": {"heartbeat_at": datetime.now(UTC) - timedelta(hours=1)}},
        )
    return claimed


def test_a_deletion_left_half_done_is_finished_by_the_ticker(client, team, app):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    storage, stored = fill(app, team.workspace_id, project["id"], OBJECTS)
    deletion = abandoned_mid_way(app, team, project["id"])

    halfway = client.get(f"/api/v1/deletions/{deletion.id}", headers=admin).get_json()
    assert halfway["state"] == "deleting" and halfway["counts"]["objects"] == 500
    assert client.get(f"/api/v1/projects/{project['id']}", headers=admin).get_json()["deleting"]
    refused = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "train"}, headers=admin
    )
    assert refused.status_code == 409

    with app.app_context():  # a holder beating within the last two hours keeps the job
        stale_before = datetime.now(UTC) - timedelta(hours=2)
        assert get_store().deletions.claim(deletion.id, "other:2:x", stale_before) is None
    app.extensions["ticker"].tick()
    # Held (or done) now: a second process looking finds nothing to resume.
    assert app.extensions["deletion_runner"].resume_stale() == []
    finished = wait_deleted(client, admin, deletion.id, timeout=60)

    assert finished["state"] == "deleted", finished
    assert finished["attempts"] == 2
    assert finished["counts"]["objects"] == OBJECTS
    assert storage.walk(stored.root) == []
    assert not storage.exists(stored.root)
    assert documents_naming(app, project["id"]) == {}
    assert client.get(f"/api/v1/projects/{project['id']}", headers=admin).status_code == 404
