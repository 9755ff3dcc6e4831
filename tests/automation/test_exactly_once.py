"""Exactly once with real processes: two app processes (`flask scheduler run`, as the README
says to run a dedicated ticker) and one Celery worker all tick the same database; 50
schedules due at the same moment get exactly one run record each."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controllers.context import get_store
from project_library.automation import schedules
from project_library.projects import service as projects
from tests.projects.factories import prediction_classic, training_classic
from tests.runs.test_celery import redis_url  # noqa: F401 - the module's Redis server
from tests.support.process import ServiceProcess, app_env, celery_worker, find_executable

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _env(app, app_config, redis):
    return {
        **app_env(app.config),
        "MLP_EXECUTOR": "celery",
        "MLP_REDIS_URL": redis,
        "MLP_TICK_SECONDS": "0.3",
        "MLP_RUN_RECOVERY": "false",
    }


def _logged(log, text):
    return log.exists() and text in log.read_text(errors="replace")


@pytest.fixture
def tickers(app, app_config, redis_url, tmp_path):  # noqa: F811
    env = _env(app, app_config, redis_url)
    started = []
    for name in ("app1", "app2"):
        log = tmp_path / f"{name}.log"
        argv = [find_executable("flask"), "--app", "app", "scheduler", "run"]
        process = ServiceProcess(
            name,
            argv,
            ready=lambda log=log: _logged(log, "ticker_started"),
            log_dir=tmp_path,
            env=env,
            timeout=60,
            cwd=str(ROOT),
        )
        started.append(process.start())
    log = tmp_path / "worker.log"
    ready = lambda: _logged(log, "ticker_started")  # noqa: E731
    started.append(celery_worker("worker", ROOT, tmp_path, env, ready, timeout=90).start())
    yield started
    for process in started:
        process.stop()


def test_fifty_due_schedules_give_fifty_runs_with_three_processes(app, team, tickers):
    with app.app_context():
        store = get_store()
    workspace = store.workspaces.get(team.workspace_id)
    now = datetime.now(UTC)
    created = []
    for i in range(50):
        values = {"name": f"P{i:02d}", "training_schema": training_classic()}
        values["prediction_schema"] = prediction_classic()
        project = projects.create_project(store, workspace.id, values, team.user("admin").id)
        body = {"kind": "predict", "every": "day", "time": "06:00", "timezone": "UTC"}
        schedule = schedules.create_schedule(store, workspace, project.id, body, None, now)
        created.append(store.schedules.update(workspace.id, schedule.id, next_run_at=now))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done = [s for s in created if store.schedules.get(workspace.id, s.id).last_outcome]
        if len(done) == len(created):
            break
        time.sleep(0.5)
    runs = [r for r in store.runs.list(workspace.id, limit=500) if r.schedule_id]
    assert len(runs) == 50
    assert sorted(r.schedule_id for r in runs) == sorted(s.id for s in created)
    assert {r.scheduled_for for r in runs} == {created[0].next_run_at}
    for s in created:
        after = store.schedules.get(workspace.id, s.id)
        assert after.pending is None and after.next_run_at > now
    run_ids = {store.schedules.get(workspace.id, s.id).last_outcome["run_id"] for s in created}
    assert len(run_ids) == 50
