"""Where runs execute, behind one small interface: ``submit(run_id)`` and ``shutdown()``.

``ThreadExecutor`` (the default) runs jobs in a pool inside the web process;
``CeleryExecutor`` sends them to Celery workers over Redis. Run state lives in MongoDB.
"""

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)


class ThreadExecutor:
    name = "threads"

    def __init__(self, app, workers=2):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="run")

    def submit(self, run_id):
        return self.pool.submit(_in_background, self.app, run_id)

    def shutdown(self, wait=True):
        self.pool.shutdown(wait=wait, cancel_futures=False)


def _in_background(app, run_id):
    """Run a job at a lower CPU priority than the threads serving pages (Linux: per thread;
    the threads a job's libraries start inherit it), so pages stay quick during training."""
    from thread_layer.jobs import execute_run

    try:
        os.setpriority(
            os.PRIO_PROCESS, threading.get_native_id(), int(app.config.get("RUN_NICE", 10))
        )
    except (OSError, AttributeError):
        pass
    return execute_run(app, run_id)


class CeleryExecutor:
    name = "celery"

    def __init__(self, app):
        from thread_layer.celery_app import configure

        self.app = app
        configure(app.config["REDIS_URL"], app.config.get("CELERY_VISIBILITY_TIMEOUT", 3600))

    def submit(self, run_id):
        from thread_layer.celery_app import execute_run_task

        return execute_run_task.apply_async(args=[run_id])

    def shutdown(self, wait=True):
        return None


def build_executor(app):
    if app.config.get("EXECUTOR") == "celery":
        return CeleryExecutor(app)
    return ThreadExecutor(app, app.config.get("RUN_WORKERS", 2))


def get_executor(app):
    executor = app.extensions.get("run_executor")
    if executor is None:
        executor = app.extensions["run_executor"] = build_executor(app)
    return executor
