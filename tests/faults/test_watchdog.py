"""The run watchdog against the real database: a run whose heartbeat stopped is settled once
however many processes watch, its training lock is released, a cancel asked of it is honoured,
a run that still beats is left alone, and no validation is left ``running``.

Staleness is shown with an injected clock (the watchdog looking from two minutes ahead), or
with real heartbeats and a limit of a few seconds; nothing sleeps for minutes.
"""

import threading
import time
from datetime import timedelta

import pytest

from controllers.context import get_store
from entity.records import now
from tests.runs.support import create_project, start, wait_for
from thread_layer.heartbeat import Heartbeat
from thread_layer.runs import start_run
from thread_layer.watchdog import RUN_STOPPED, VALIDATION_STOPPED, Watchdog

STALE_S = 120


class IdleExecutor:
    """Takes runs and executes none: they are claimed below by a worker that then dies."""

    def submit(self, run_id):
        return None


@pytest.fixture
def store(app):
    return get_store(app)


def ahead(seconds=STALE_S + 1):
    """A watchdog's clock ``seconds`` ahead of the heartbeats' (the limit has passed)."""
    return lambda: now() + timedelta(seconds=seconds)


def held_run(store, workspace_id, project_id, kind="train", worker="gone-host:4242"):
    """A run claimed by a worker that stopped right after: running, and no longer beating."""
    run = start_run(store, IdleExecutor(), workspace_id, project_id, kind, None)
    return store.runs.claim(run.id, worker=worker)


def watchdog_lines(store, run_id):
    return [r for r in store.run_logs.lines(run_id) if "by the watchdog" in r["message"]]


def test_a_run_that_stopped_beating_is_interrupted_and_the_next_train_starts(client, team, store):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    held = held_run(store, team.workspace_id, project["id"])
    refused = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "train"}, headers=admin
    )
    assert refused.status_code == 409
    assert Watchdog(store, STALE_S).check() == 0  # still within the limit
    assert Watchdog(store, STALE_S, clock=ahead()).check() == 1
    body = client.get(f"/api/v1/runs/{held.id}", headers=admin).get_json()
    assert body["status"] == "interrupted" and body["message"] == RUN_STOPPED
    assert len(watchdog_lines(store, held.id)) == 1
    assert Watchdog(store, STALE_S, clock=ahead()).check() == 0  # settled once
    again = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "train"}, headers=admin
    )
    assert again.status_code == 202


def test_watchdogs_of_four_processes_settle_each_stale_run_exactly_once(client, team, store):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    held = [held_run(store, team.workspace_id, project["id"], "train")]
    held += [held_run(store, team.workspace_id, project["id"], "predict") for _ in range(11)]
    watchdogs = [Watchdog(store, STALE_S, clock=ahead()) for _ in range(4)]
    barrier = threading.Barrier(len(watchdogs))
    settled = []

    def watch(watchdog):
        barrier.wait()
        settled.append(watchdog.check())

    threads = [threading.Thread(target=watch, args=(w,)) for w in watchdogs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(settled) == len(held)
    for run in held:
        assert store.runs.get_by_id(run.id).status == "interrupted"
        assert len(watchdog_lines(store, run.id)) == 1
    assert store.runs.locks.count_documents({}) == 0


def test_a_run_that_still_beats_is_left_alone_and_settled_once_it_stops(client, team, store):
    """Real heartbeats (every 0.2 s) against a limit of 1.5 s, by the wall clock."""
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    held = held_run(store, team.workspace_id, project["id"])
    watchdog = Watchdog(store, 1.5)
    with Heartbeat(store.runs, held, 0.2):
        deadline = time.monotonic() + 3  # twice the limit, without one report of progress
        while time.monotonic() < deadline:
            assert watchdog.check() == 0
            time.sleep(0.1)
    stopped = time.monotonic()
    while watchdog.check() == 0:
        assert time.monotonic() - stopped < 5
        time.sleep(0.1)
    assert 1.2 < time.monotonic() - stopped < 3
    assert store.runs.get_by_id(held.id).status == "interrupted"


def test_a_cancel_asked_of_a_run_that_stopped_beating_ends_it_cancelled(client, team, store):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    held = held_run(store, team.workspace_id, project["id"])
    asked = client.post(f"/api/v1/runs/{held.id}/cancel", headers=admin)
    assert asked.status_code == 200 and asked.get_json()["cancel_requested"] is True
    assert Watchdog(store, STALE_S, clock=ahead()).check() == 1
    body = client.get(f"/api/v1/runs/{held.id}", headers=admin).get_json()
    assert body["status"] == "cancelled" and body["message"] == RUN_STOPPED
    wait_for(client, admin, start(client, admin, project["id"], "train")["id"])  # 202: unlocked


def test_a_validation_left_running_is_failed_unless_a_live_run_reads_it(client, team, store):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    orphan = store.validations.start(team.workspace_id, project["id"], "training")
    read = store.validations.start(team.workspace_id, project["id"], "training")
    held = held_run(store, team.workspace_id, project["id"], worker="vm:1")
    store.runs.progress_claimed(
        held.id, "vm:1", step="validate", percent=None, message="Validating", validation_id=read
    )
    long_ago = now() - timedelta(seconds=STALE_S + 60)
    store.validations.collection.update_many({}, {"$set": {"started_at": long_ago}})
    assert Watchdog(store, STALE_S).check() == 0  # the run beats (it just reported progress)
    assert store.validations.get(team.workspace_id, orphan)["status"] == "failed"
    assert store.validations.get(team.workspace_id, orphan)["error"] == VALIDATION_STOPPED
    assert store.validations.get(team.workspace_id, read)["status"] == "running"
    assert Watchdog(store, STALE_S, clock=ahead()).check() == 1  # the run stops beating
    assert store.validations.get(team.workspace_id, read)["status"] == "failed"


def test_a_run_that_fails_mid_validation_fails_its_validation_with_the_reason(
    client, team, app, store
):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary")
    store.db["projects"].update_one({}, {"$set": {"training_schema": None}})
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "failed" and "no training schema" in done["message"]
    report = store.validations.get(team.workspace_id, done["validation_id"])
    assert report["status"] == "failed" and report["error"] == done["message"]
