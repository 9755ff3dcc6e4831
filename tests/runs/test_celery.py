"""Runs under Celery with Redis: the README's worker command as it stands, a worker that
cannot build the app, a worker killed mid-training whose run another one finishes."""

import os
import signal
from pathlib import Path

import pytest

from tests.runs.support import create_project, start, wait_for, wait_step, write_batches
from tests.runs.test_lifecycle import bigger
from tests.support.process import (
    README_CELERY_WORKER,
    ServiceProcess,
    app_env,
    celery_worker,
    find_executable,
    free_port,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VISIBILITY_TIMEOUT = 8


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port = free_port()
    server = ServiceProcess(
        "redis",
        [
            find_executable("redis-server"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        ready=lambda: _redis_ping(port),
        log_dir=tmp_path_factory.mktemp("redis"),
        timeout=20,
    ).start()
    yield f"redis://127.0.0.1:{port}/0"
    server.stop()


def _redis_ping(port):
    import redis

    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5).ping()


@pytest.fixture
def app_config(app_config, redis_url):
    app_config.update(
        EXECUTOR="celery", REDIS_URL=redis_url, CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT
    )
    return app_config


def worker_env(app, app_config, redis_url):
    """The settings a worker shares with the test's app: its database, files and keys."""
    return {
        "MLP_REDIS_URL": redis_url,
        **app_env(app.config),
        "MLP_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }


def readme_worker(app, app_config, redis_url, tmp_path, **settings):
    """A worker started as the README says, from the project folder, with no PYTHONPATH;
    ``settings`` are extra MLP_* variables. Ready when it answers a ping."""
    from thread_layer.celery_app import celery

    env = {**worker_env(app, app_config, redis_url), **settings}
    ready = lambda: bool(celery.control.ping(timeout=0.5))  # noqa: E731
    return celery_worker("readme-worker", ROOT, tmp_path, env, ready).start()


def test_the_readme_worker_command_runs_runs_and_logs_each_line_once(
    client, team, app, app_config, redis_url, tmp_path
):
    assert " ".join(README_CELERY_WORKER) in (Path(ROOT) / "README.md").read_text()
    worker = readme_worker(app, app_config, redis_url, tmp_path)
    try:
        admin = team.headers("admin")
        project, frame, prefix = create_project(client, admin, "regression")
        write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
        done = wait_for(
            client, admin, start(client, admin, project["id"], "train")["id"], timeout=120
        )
        assert done["status"] == "succeeded", done
        records = client.get(f"/api/v1/runs/{done['id']}/logs", headers=admin).get_json()
        lines = [(r["level"], r["message"]) for r in records["records"]]
        assert sum("run_started" in m for _, m in lines) == 1, lines
        assert sum("run_succeeded" in m for _, m in lines) == 1, lines
        assert not any("run_started" in m or "step=" in m for v, m in lines if v != "INFO")
    finally:
        worker.stop()
    log = worker.log_path.read_text(errors="replace")
    assert "ModuleNotFoundError" not in log and "Traceback" not in log
    assert sum("run_succeeded" in line for line in log.splitlines()) == 1, log[-3000:]
    lines = [line for line in log.splitlines() if f"run={done['id']}" in line]
    assert len(lines) == len(set(lines)), "a line of the worker's log came twice"
    assert "celery.redirected" not in log and "WARNING/" not in log


def test_a_worker_that_cannot_build_the_app_fails_the_run_with_why(
    client, team, app, app_config, redis_url, tmp_path
):
    worker = readme_worker(app, app_config, redis_url, tmp_path, MLP_TICK_SECONDS="soon")
    try:
        admin = team.headers("admin")
        project, _, _ = create_project(client, admin, "binary")
        done = wait_for(
            client, admin, start(client, admin, project["id"], "train")["id"], timeout=60
        )
    finally:
        worker.stop()
    assert done["status"] == "failed", done
    assert "could not start this run" in done["message"]
    assert done["error"]["type"] == "ValueError" and done["error"]["id"] in done["message"]
    log = worker.log_path.read_text(errors="replace")
    assert f"error_id={done['error']['id']}" in log and "Traceback" in log
    # the lock is released: the next training is accepted
    again = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "train"}, headers=admin
    )
    assert again.status_code == 202


@pytest.fixture
def worker_settings():
    """Extra MLP_* variables of the test's workers (a test parametrizes it)."""
    return {}


@pytest.fixture
def workers(app, app_config, redis_url, tmp_path, worker_settings):
    """Two Celery workers started as the README says (each with a node name) sharing the
    test's database and files."""
    from thread_layer.celery_app import celery

    env = {**worker_env(app, app_config, redis_url), **worker_settings}
    started = []
    for name in ("w1", "w2"):
        ready = lambda name=name: _answers(celery, name)  # noqa: E731
        started.append(celery_worker(name, ROOT, tmp_path, env, ready, node=True).start())
    yield started
    for process in started:
        process.stop()


def _answers(celery, name):
    """True once the worker named ``name`` answers a ping."""
    replies = celery.control.ping(timeout=0.5)
    return any(node.startswith(f"{name}@") for reply in replies for node in reply)


def _owner(workers, pid):
    for worker in workers:
        with open(f"/proc/{pid}/stat") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        if pid == worker.proc.pid or parent == worker.proc.pid:
            return worker
    raise AssertionError(f"no test worker owns pid {pid}")


@pytest.mark.slow
def test_worker_killed_mid_training_is_finished_by_another(client, team, app, workers):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary", budget=12)
    write_batches(app, team.workspace_id, project["id"], bigger(frame, 4), prefix, "training")
    run = start(client, admin, project["id"], "train")
    wait_step(client, admin, run["id"], "train", timeout=60)
    from controllers.context import get_db
    from entity.run import RunRepository

    with app.app_context():
        first = RunRepository(get_db()).get_by_id(run["id"]).worker
    pid = int(first.rsplit(":", 1)[1])
    victim = _owner(workers, pid)
    os.killpg(victim.proc.pid, signal.SIGKILL)  # the whole worker: main process and pool
    victim.proc.wait(timeout=10)
    done = wait_for(client, admin, run["id"], timeout=240)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    with app.app_context():
        finisher = RunRepository(get_db()).get_by_id(run["id"]).worker
    assert finisher != first
    logs = client.get(f"/api/v1/runs/{run['id']}/logs", headers=admin).get_json()["records"]
    assert [r["seq"] for r in logs] == list(range(1, len(logs) + 1))
    assert sum("run_started" in r["message"] for r in logs) == 2


@pytest.mark.slow
def test_celery_executes_predict_after_train(client, team, app, workers):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "regression")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    assert (
        wait_for(client, admin, start(client, admin, project["id"], "train")["id"])["status"]
        == "succeeded"
    )
    written = write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction")
    done = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert done["status"] == "succeeded"
    assert done["output_rows"] == sum(rows for _, rows in written)


WATCHED = {
    "MLP_CELERY_VISIBILITY_TIMEOUT": "3600",  # Redis would give the run back after an hour
    "MLP_RUN_HEARTBEAT_SECONDS": "0.3",
    "MLP_RUN_STALE_SECONDS": "3",
    "MLP_TICK_SECONDS": "0.5",
}


@pytest.mark.slow
@pytest.mark.parametrize("worker_settings", [WATCHED])
def test_a_worker_killed_mid_training_is_settled_by_a_watchdog_and_the_next_train_runs(
    client, team, app, workers
):
    """The surviving worker's ticker runs the watchdog: the dead worker's run is interrupted
    within seconds (not when Redis gives it back), its lock is released, the next Train runs."""
    from thread_layer.watchdog import RUN_STOPPED

    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, "binary", budget=12)
    write_batches(app, team.workspace_id, project["id"], bigger(frame, 4), prefix, "training")
    run = start(client, admin, project["id"], "train")
    wait_step(client, admin, run["id"], "train", timeout=60)
    from controllers.context import get_store

    worker = get_store(app).runs.get_by_id(run["id"]).worker
    victim = _owner(workers, int(worker.rsplit(":", 1)[1]))
    os.killpg(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait(timeout=10)
    done = wait_for(client, admin, run["id"], timeout=30)
    assert done["status"] == "interrupted" and done["message"] == RUN_STOPPED, done
    assert done["attempts"] == 1
    again = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert again["status"] == "succeeded", again
