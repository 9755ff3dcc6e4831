"""Deleting a project while it trains: the deletion cancels the run and waits for it to stop
before it deletes, so the run cannot write a model into a folder already emptied; afterwards
nothing of the project is left in storage or in any collection."""

import time

from tests.deletion.support import documents_naming, wait_deleted
from tests.runs.support import create_project, project_storage, start, write_batches


def test_deleting_a_project_mid_training_cancels_the_run_and_leaves_nothing(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary", budget=60)
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    run = start(client, admin, project["id"], "train")
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/runs/{run['id']}", headers=admin).json["status"] != "running":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.1)

    response = client.delete(f"/api/v1/projects/{project['id']}?files=all", headers=admin)
    assert response.status_code == 202, response.get_json()
    done = wait_deleted(client, admin, response.get_json()["id"])

    assert done["state"] == "deleted", done
    assert client.get(f"/api/v1/runs/{run['id']}", headers=admin).status_code == 404
    time.sleep(1.0)  # a run that had not really stopped would write its model about now
    assert storage.walk(stored.root) == []
    assert documents_naming(app, project["id"]) == {}
