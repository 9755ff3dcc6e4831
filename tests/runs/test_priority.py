"""Jobs run below the web: a lower CPU priority and capped native thread pools (OpenMP per
job thread; joblib and child processes through the environment)."""

import os
import threading

from threadpoolctl import threadpool_info

from thread_layer import executors, priority


def test_a_job_runs_at_the_run_priority_with_capped_threads(app, monkeypatch):
    seen = {}

    def job(services, run_id):
        native = threading.get_native_id()
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, native)
        seen["pools"] = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
        seen["env"] = {name: os.environ.get(name) for name in priority.THREAD_VARIABLES}
        return run_id

    monkeypatch.setattr(executors, "execute_run", job)
    web_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    executor = executors.ThreadExecutor(app.extensions["run_services"], nice=10, threads=1)
    try:
        assert executor.submit("run-1").result(timeout=30) == "run-1"
    finally:
        executor.shutdown()
    assert seen["nice"] >= web_nice + 10 or seen["nice"] == 19
    assert seen["pools"].get("openmp") == 1  # OpenMP counts per thread: capped for the job
    assert all(value is not None for value in seen["env"].values())
    # the thread serving this test (a stand-in for the web's) kept its priority
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == web_nice


def test_the_default_leaves_the_web_a_core():
    assert priority.default_threads() == max(1, (os.cpu_count() or 1) - 1)
