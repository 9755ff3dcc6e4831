"""The ticker against the real database, with an injected clock: schedules fire exactly once
per slot however many tickers run, a claim left by a dead process is retaken, downtime gives
one run or one missed record (never a burst), and overlapping runs are skipped or queued."""

from datetime import UTC, datetime, timedelta

import pytest

from controllers.context import get_store
from entity.run import Run
from project_library.automation import schedules
from tests.projects.factories import prediction_classic, training_classic
from thread_layer.ticker import Ticker

T0 = datetime(2027, 1, 4, 5, 0, tzinfo=UTC)  # a Monday, 06:00 in Berlin is 05:00 UTC


class RecordingExecutor:
    """Stands in for the thread pool: the runs are queued records; none executes here."""

    def __init__(self):
        self.submitted = []

    def submit(self, run_id):
        self.submitted.append(run_id)


class Mailbox:
    def __init__(self):
        self.sent = []

    def notify(self, run, project, event):
        self.sent.append((run.id, event))


@pytest.fixture
def store(app):
    with app.app_context():
        return get_store()


@pytest.fixture
def workspace(store, team):
    workspace = store.workspaces.get(team.workspace_id)
    store.workspaces.set_timezone(workspace.id, "Europe/Berlin")
    return store.workspaces.get(workspace.id)


@pytest.fixture
def project(store, workspace, team):
    from project_library.projects import service

    values = {"name": "Ticking", "training_schema": training_classic()}
    values["prediction_schema"] = prediction_classic()
    return service.create_project(store, workspace.id, values, team.user("admin").id)


def ticker(store, executor=None, worker="test:1", mailbox=None):
    return Ticker(
        store,
        executor or RecordingExecutor(),
        mailbox or Mailbox(),
        worker=worker,
        watch_quiet_s=60,
        watch_interval_s=30,
    )


def add(store, workspace, project, body, moment=T0 - timedelta(days=1)):
    return schedules.create_schedule(store, workspace, project.id, body, None, moment)


def scheduled_runs(store, workspace, schedule_id=None):
    runs = store.runs.list(workspace.id, limit=1000)
    return [r for r in runs if r.schedule_id and schedule_id in (None, r.schedule_id)]


def test_fifty_due_schedules_fire_once_each_with_three_tickers(store, workspace, project):
    created = [
        add(store, workspace, project, {"kind": "predict", "every": "day", "time": "06:00"})
        for _ in range(50)
    ]
    executors = [RecordingExecutor() for _ in range(3)]
    tickers = [ticker(store, e, worker=f"test:{i}") for i, e in enumerate(executors)]
    moment = T0 + timedelta(seconds=2)
    for _ in range(2):  # every ticker looks twice at the same moment
        for one in tickers:
            one.tick(moment)
    runs = scheduled_runs(store, workspace)
    assert len(runs) == 50
    assert {r.schedule_id for r in runs} == {s.id for s in created}
    assert {r.scheduled_for for r in runs} == {T0}
    assert all(r.trigger["type"] == "schedule" for r in runs)
    # one project: the first slot's run starts, the 49 others are skipped (overlap "skip")
    started = [r.id for r in runs if r.status == "queued"]
    assert len(started) == 1 and sum(r.status == "skipped" for r in runs) == 49
    assert sum((e.submitted for e in executors), []) == started
    for s in created:
        assert store.schedules.get(workspace.id, s.id).next_run_at == T0 + timedelta(days=1)


def test_a_claim_left_by_a_dead_process_is_retaken_once(store, workspace, project):
    schedule = add(store, workspace, project, {"kind": "predict", "every": "day", "time": "06:00"})
    moment = T0 + timedelta(seconds=1)
    # A process claims the slot, then dies before recording its run.
    claimed = store.schedules.claim(schedule, T0, T0 + timedelta(days=1), "dead:1", moment)
    assert claimed is not None and claimed.pending["slot"] == T0
    alive = ticker(store)
    alive.tick(moment + timedelta(seconds=5))  # the claim is still fresh: not taken over
    assert scheduled_runs(store, workspace) == []
    alive.tick(moment + timedelta(seconds=40))
    alive.tick(moment + timedelta(seconds=80))
    runs = scheduled_runs(store, workspace)
    assert [(r.scheduled_for, r.status) for r in runs] == [(T0, "queued")]
    assert store.schedules.get(workspace.id, schedule.id).pending is None


def test_downtime_inside_then_outside_the_grace_window(store, workspace, project):
    schedule = add(store, workspace, project, {"kind": "predict", "every": "day", "time": "06:00"})
    mailbox = Mailbox()
    back = ticker(store, mailbox=mailbox)
    back.tick(T0 + timedelta(minutes=40))  # down over 06:00, back within the hour: one run
    runs = scheduled_runs(store, workspace)
    assert [(r.status, r.scheduled_for) for r in runs] == [("queued", T0)]
    for run in runs:  # that run finishes
        store.runs.finish(run, "succeeded", "done")
    # down over three more days, back two hours after the last slot: one missed record
    back.tick(T0 + timedelta(days=3, hours=2))
    runs = scheduled_runs(store, workspace)
    missed = [r for r in runs if r.status == "missed"]
    assert len(runs) == 2 and len(missed) == 1
    assert missed[0].scheduled_for == T0 + timedelta(days=3)
    assert "not running" in missed[0].message and "grace" in missed[0].message
    assert mailbox.sent == [(missed[0].id, "missed")]
    assert store.schedules.get(workspace.id, schedule.id).next_run_at == T0 + timedelta(days=4)
    back.tick(T0 + timedelta(days=3, hours=3))  # nothing more is due: no burst
    assert len(scheduled_runs(store, workspace)) == 2


def test_overlap_skip_records_why_and_mails_once_a_day(store, workspace, project):
    body = {"kind": "predict", "every": "hours", "hours": 1, "overlap": "skip"}
    schedule = add(store, workspace, project, body, moment=T0 - timedelta(minutes=30))
    active = store.runs.create(
        Run(workspace_id=workspace.id, project_id=project.id, kind="predict")
    )
    mailbox = Mailbox()
    one = ticker(store, mailbox=mailbox)
    one.tick(T0 + timedelta(minutes=31))
    one.tick(T0 + timedelta(minutes=91))
    skipped = [r for r in scheduled_runs(store, workspace, schedule.id) if r.status == "skipped"]
    assert len(skipped) == 2
    assert active.id in skipped[0].message
    assert len(mailbox.sent) == 1  # once per schedule and day, not on every slot


def test_overlap_queue_waits_for_the_active_run(store, workspace, project):
    body = {"kind": "predict", "every": "day", "time": "06:00", "overlap": "queue"}
    schedule = add(store, workspace, project, body)
    active = store.runs.create(
        Run(workspace_id=workspace.id, project_id=project.id, kind="predict")
    )
    one = ticker(store)
    one.tick(T0 + timedelta(seconds=1))
    assert scheduled_runs(store, workspace) == []
    assert store.schedules.get(workspace.id, schedule.id).pending["waiting"] is True
    one.tick(T0 + timedelta(minutes=90))  # still active, waiting past the grace: not missed
    assert scheduled_runs(store, workspace) == []
    store.runs.finish(active, "succeeded", "done")
    one.tick(T0 + timedelta(minutes=95))
    runs = scheduled_runs(store, workspace)
    assert [(r.status, r.scheduled_for) for r in runs] == [("queued", T0)]
    assert store.schedules.get(workspace.id, schedule.id).pending is None


def test_paused_schedules_do_not_fire_and_resume_from_now(store, workspace, project):
    schedule = add(store, workspace, project, {"kind": "predict", "every": "day", "time": "06:00"})
    schedules.set_paused(store, workspace.id, schedule.id, True, T0 - timedelta(hours=1))
    ticker(store).tick(T0 + timedelta(days=2))
    assert scheduled_runs(store, workspace) == []
    resumed = schedules.set_paused(store, workspace.id, schedule.id, False, T0 + timedelta(days=2))
    assert resumed.next_run_at == T0 + timedelta(days=3)


def test_the_ticker_starts_in_serving_processes_only(app_config):
    import click
    from flask.cli import run_command

    from app import create_app

    config = {**app_config, "SCHEDULER": True, "TICK_SECONDS": 60}
    served = create_app(config)  # gunicorn builds the app like this
    with click.Context(run_command):  # `flask run`
        local = create_app(config)
    with click.Context(click.Command("create")):  # any other `flask` command
        command = create_app(config)
    off = create_app({**config, "SCHEDULER": False})
    try:
        assert served.extensions["ticker"]._thread is not None
        assert local.extensions["ticker"]._thread is not None
        assert command.extensions["ticker"]._thread is None
        assert off.extensions["ticker"]._thread is None
    finally:
        for one in (served, local, command, off):
            one.extensions["ticker"].stop()


class BrokenExecutor:
    """The job queue is away: every hand-over fails."""

    def submit(self, run_id):
        raise ConnectionError("broker down")


def test_a_broken_schedule_or_queue_never_stops_the_others(store, workspace, project):
    broken = add(store, workspace, project, {"kind": "predict", "every": "day", "time": "06:00"})
    fine = add(store, workspace, project, {"kind": "train", "every": "day", "time": "06:00"})
    store.schedules.update(workspace.id, broken.id, spec={"type": "daily", "time": "nonsense"})
    ticker(store, BrokenExecutor()).tick(T0 + timedelta(seconds=1))
    paused = store.schedules.get(workspace.id, broken.id)
    assert paused.paused and "could not be computed" in paused.last_outcome["reason"]
    runs = scheduled_runs(store, workspace, fine.id)
    assert [r.status for r in runs] == ["failed"]  # not left queued for ever
    assert "could not be handed to a worker" in runs[0].message
    assert store.runs.active(workspace.id, project.id, "train") is None  # the lock is released
