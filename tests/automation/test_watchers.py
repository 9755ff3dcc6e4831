"""Storage watchers on every backend (local folder, moto S3, Azurite, GCS emulator), with an
injected clock: a burst of files becomes one run over exactly those files, the platform's own
writes start nothing, a restart re-triggers nothing, and a file back from quarantine counts
as new."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from controllers.context import get_store
from integration.registry import project_storage
from project_library.automation import watchers
from project_library.automation.watching import look
from project_library.projects import service as projects
from project_library.validation import service as validation
from tests.automation.test_ticker import Mailbox, RecordingExecutor
from tests.projects.factories import prediction_classic, training_classic
from thread_layer.ticker import Ticker

T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
QUIET = 60
CSV = "radius,texture\n1.0,2.0\n3.0,4.0\n"


def at(seconds):
    return T0 + timedelta(seconds=seconds)


# -- the rules, without storage -----------------------------------------------------------
def test_a_burst_is_ready_once_quiet_and_a_growing_file_holds_it_back():
    first = look({}, {}, {"a.csv": "1:t"}, at(0), QUIET)
    assert first.ready == [] and set(first.pending) == {"a.csv"}
    second = look({}, first.pending, {"a.csv": "1:t", "b.csv": "5:t"}, at(30), QUIET)
    assert second.ready == []
    growing = look({}, second.pending, {"a.csv": "1:t", "b.csv": "9:u"}, at(80), QUIET)
    assert growing.ready == []  # b.csv changed at 80: the quiet period starts again
    done = look({}, growing.pending, {"a.csv": "1:t", "b.csv": "9:u"}, at(140), QUIET)
    assert done.ready == ["a.csv", "b.csv"]
    assert done.seen_after == {"a.csv": "1:t", "b.csv": "9:u"} and done.pending_after == {}


def test_gone_files_are_forgotten_and_come_back_new():
    seen = {"a.csv": "1:t", "b.csv": "2:t"}
    gone = look(seen, {}, {"a.csv": "1:t"}, at(0), QUIET)
    assert gone.seen == {"a.csv": "1:t"} and gone.ready == []
    back = look(gone.seen, {}, {"a.csv": "1:t", "b.csv": "2:t"}, at(10), QUIET)
    assert set(back.pending) == {"b.csv"}


# -- against each backend -----------------------------------------------------------------
@pytest.fixture
def store(app):
    with app.app_context():
        return get_store()


def make_project(store, team, storage_service, provider):
    connection_id = None
    if provider != "local":
        service = storage_service(provider)
        bucket = f"w-{uuid.uuid4().hex[:12]}"
        service.create_bucket(bucket)
        connection_id = store.connections.create(
            team.workspace_id, f"{provider} {bucket}", provider, service.settings(bucket)
        ).id
    values = {
        "name": f"Watched {provider}",
        "connection_id": connection_id,
        "training_schema": training_classic(),
        "prediction_schema": prediction_classic(),
    }
    return projects.create_project(store, team.workspace_id, values, team.user("admin").id)


def watching(store, worker):
    """A ticker of its own (a process of its own) that only records the runs it starts."""
    return Ticker(
        store,
        RecordingExecutor(),
        Mailbox(),
        worker=worker,
        watch_quiet_s=QUIET,
        watch_interval_s=10,
    )


def watched_runs(store, team):
    return [r for r in store.runs.list(team.workspace_id) if r.trigger.get("type") == "watcher"]


@pytest.mark.parametrize("provider", ["local", "s3", "azure", "gcs"])
def test_five_files_in_a_burst_start_one_prediction_run(store, team, storage_service, provider):
    project = make_project(store, team, storage_service, provider)
    storage = project_storage(store, project)
    storage.write_bytes(f"{project.root}/prediction_batches/old_01012027_000000.csv", CSV.encode())
    watchers.configure_watch(store, team.workspace_id, project.id, {"prediction": True}, at(0))
    ticker = watching(store, "w:1")
    ticker.tick(at(0))  # the first look: what is there is the baseline, not new
    names = [f"cancer_0{i}022027_090000.csv" for i in range(1, 6)]
    for i, name in enumerate(names):
        storage.write_bytes(f"{project.root}/prediction_batches/{name}", CSV.encode())
        ticker.tick(at(10 + 10 * i))
    assert watched_runs(store, team) == []  # still arriving
    # the platform's own writes land outside the watched folders and start nothing
    storage.write_bytes(f"{project.root}/predictions/predictions_x.csv", b"row,prediction\n")
    ticker.tick(at(60 + QUIET + 1))
    runs = watched_runs(store, team)
    assert len(runs) == 1
    run = runs[0]
    assert run.kind == "predict" and run.files == "new"
    assert sorted(run.input_names) == names and sorted(run.trigger["files"]) == names
    state = watchers.to_json(store.watchers.get(team.workspace_id, project.id))
    assert state["files_seen"]["prediction"] == 6 and state["last_run"]["run_id"] == run.id
    # a restart (another process, a fresh ticker) re-triggers nothing
    watching(store, "w:2").tick(at(500))
    assert len(watched_runs(store, team)) == 1


def test_a_file_restored_from_quarantine_is_new_again(store, team, storage_service):
    project = make_project(store, team, storage_service, "local")
    storage = project_storage(store, project)
    watchers.configure_watch(store, team.workspace_id, project.id, {"training": "validate"}, at(0))
    ticker = watching(store, "w:1")
    ticker.tick(at(0))
    bad = "cancer_01022027_090000.csv"
    storage.write_bytes(f"{project.root}/training_batches/{bad}", b"not,the,schema\n1,2,3\n")
    ticker.tick(at(20))
    ticker.tick(at(20 + QUIET + 1))  # validated: the file is rejected into quarantine
    reports = store.validations.list_for_project(team.workspace_id, project.id)
    assert len(reports) == 1 and reports[0]["counts"]["rejected"] == 1
    assert not storage.exists(f"{project.root}/training_batches/{bad}")
    ticker.tick(at(200))  # the file is gone from the folder: forgotten
    validation.restore(store, team.workspace_id, reports[0]["id"], bad)
    ticker.tick(at(300))
    ticker.tick(at(300 + QUIET + 1))
    assert len(store.validations.list_for_project(team.workspace_id, project.id)) == 2
