"""Runs under Celery with Redis: a worker killed mid-training, another one finishes the run."""

import os
import signal

import pytest

from tests.runs.support import create_project, start, wait_for, wait_step, write_batches
from tests.runs.test_lifecycle import bigger
from tests.support.process import ServiceProcess, celery_worker_argv, find_executable, free_port

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


@pytest.fixture
def workers(app, app_config, redis_url, tmp_path):
    """Two Celery workers (one process each) sharing the test's database and files."""
    env = {
        "MLP_REDIS_URL": redis_url,
        "MLP_MONGODB_URI": app.config["MONGODB_URI"],
        "MLP_MONGODB_DB": app_config["MONGODB_DB"],
        "MLP_DATA_DIR": app.config["DATA_DIR"],
        "MLP_SECRET_KEY": app_config["SECRET_KEY"],
        "MLP_ENCRYPTION_KEY": app_config["ENCRYPTION_KEY"],
        "MLP_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    started = []
    for name in ("w1", "w2"):
        argv = celery_worker_argv(ROOT, name)
        log = tmp_path / f"{name}.log"
        process = ServiceProcess(
            name, argv, ready=lambda log=log: _ready(log), log_dir=tmp_path, env=env, timeout=60
        )
        process.log_path = log
        started.append(process.start())
    yield started
    for process in started:
        process.stop()


def _ready(log):
    return log.exists() and "ready." in log.read_text(errors="replace")


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
