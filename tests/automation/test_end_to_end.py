"""Automated runs that really execute (threads executor, embedded database, local files):
predictions cover new files only, a watcher's burst is predicted and mailed with its files,
and a scheduled training trains."""

import time
from datetime import UTC, datetime, timedelta

from controllers.context import get_store
from integration.layout import project_path
from project_library.automation import schedules, watchers
from tests.runs.support import (
    batch_name,
    create_project,
    project_storage,
    start,
    wait_for,
    write_batches,
)

DONE = ("succeeded", "failed", "cancelled", "interrupted", "skipped", "missed")


def trained(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "succeeded", done
    return project, frame, prefix


def predict(client, headers, project, **body):
    response = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "predict", **body}, headers=headers
    )
    assert response.status_code == 202, response.json
    return wait_for(client, headers, response.json["id"], statuses=DONE)


def test_predictions_cover_new_files_only_unless_asked_for_all(client, team, app):
    project, frame, prefix = trained(client, team, app)
    admin = team.headers("admin")
    written = write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction")
    first = predict(client, admin, project)
    assert first["status"] == "succeeded", first
    assert sorted(i["name"] for i in first["inputs"]) == sorted(
        p.rsplit("/", 1)[1] for p, _ in written
    )
    assert sum(i["rows"] for i in first["inputs"]) == first["output_rows"]
    again = predict(client, admin, project)
    assert again["status"] == "skipped" and "No new prediction files" in again["message"]
    everything = predict(client, admin, project, files="all")
    assert everything["status"] == "succeeded" and len(everything["inputs"]) == 2
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    extra = batch_name(prefix, 5)
    data = frame.drop(columns=["label", *(c for c in frame.columns if c.startswith("_"))])
    data = data.iloc[:7]
    storage.write_bytes(
        project_path(stored.root, "prediction_batches", extra), data.to_csv(index=False).encode()
    )
    new_only = predict(client, admin, project)
    assert new_only["status"] == "succeeded", new_only
    assert [i["name"] for i in new_only["inputs"]] == [extra] and new_only["output_rows"] == 7


def test_a_watched_burst_is_predicted_and_mailed_with_its_files(client, team, app):
    project, frame, prefix = trained(client, team, app)
    with app.app_context():
        store = get_store()
    ticker = app.extensions["ticker"]
    t0 = datetime.now(UTC)
    watchers.configure_watch(store, team.workspace_id, project["id"], {"prediction": True}, t0)
    ticker.tick(t0)
    written = write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction", 3)
    ticker.tick(t0 + timedelta(seconds=31))
    ticker.tick(t0 + timedelta(seconds=31 + ticker.watch_quiet_s + 31))
    runs = [r for r in store.runs.list(team.workspace_id) if r.trigger.get("type") == "watcher"]
    assert len(runs) == 1
    done = wait_for(client, team.headers("admin"), runs[0].id, statuses=DONE)
    assert done["status"] == "succeeded", done
    names = sorted(p.rsplit("/", 1)[1] for p, _ in written)
    assert sorted(i["name"] for i in done["inputs"]) == names
    body = succeeded_mail(store, done["id"])
    assert all(f"file: {name}" in body for name in names)
    assert f"/runs/{done['id']}/predictions.csv" in body
    assert "folder watcher (3 new file(s))" in body


def succeeded_mail(store, run_id, timeout=15):
    """The run's success mail: it is queued just after the run turns final, so wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        mails = [m for m in store.outbox.latest() if m["run_id"] == run_id]
        found = [m["body"] for m in mails if "succeeded" in m["subject"]]
        if found or time.monotonic() > deadline:
            assert found, f"no success mail for run {run_id}"
            return found[0]
        time.sleep(0.1)


def test_a_scheduled_training_trains(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    with app.app_context():
        store = get_store()
    workspace = store.workspaces.get(team.workspace_id)
    now = datetime.now(UTC)
    body = {"kind": "train", "every": "day", "time": "06:00", "timezone": "UTC"}
    schedule = schedules.create_schedule(store, workspace, project["id"], body, None, now)
    store.schedules.update(workspace.id, schedule.id, next_run_at=now - timedelta(seconds=1))
    app.extensions["ticker"].tick(now)
    run = next(r for r in store.runs.list(workspace.id) if r.schedule_id == schedule.id)
    done = wait_for(client, admin, run.id, statuses=DONE)
    assert done["status"] == "succeeded" and done["model_version"] == 1, done
    assert done["trigger"]["type"] == "schedule" and done["trigger"]["schedule_id"] == schedule.id
    outcome = store.schedules.get(workspace.id, schedule.id).last_outcome
    assert outcome["run_id"] == run.id
