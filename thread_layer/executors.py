"""Where runs execute, behind one small interface: ``submit(run_id)`` and ``shutdown()``.

``ThreadExecutor`` (the default) runs jobs in a pool inside the web process;
``CeleryExecutor`` sends them to Celery workers over Redis. Run state lives in MongoDB.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from thread_layer import priority
from thread_layer.jobs import execute_run

logger = logging.getLogger(__name__)


class ThreadExecutor:
    name = "threads"

    def __init__(self, services, workers=2, nice=10, threads=None):
        self.services = services
        self.nice = int(nice)
        self.threads = int(threads or priority.default_threads())
        priority.cap_process_threads(self.threads)
        self.pool = ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="run")

    def submit(self, run_id):
        return self.pool.submit(self._in_background, run_id)

    def shutdown(self, wait=True):
        self.pool.shutdown(wait=wait, cancel_futures=False)

    def _in_background(self, run_id):
        """Run a job at a lower CPU priority and with fewer native threads than the web
        (``thread_layer.priority``), so pages stay quick."""
        priority.lower_this_thread(self.nice, self.threads)
        try:
            return execute_run(self.services, run_id)
        except Exception:  # noqa: BLE001 - a pool thread's boundary: say so, never lose it
            # e.g. the database away at the claim: the run stays queued (start-up recovery
            # takes it up again) or, claimed, its heartbeat stops and the watchdog settles it.
            logger.exception("run_not_executed run=%s", run_id)
            return None


class CeleryExecutor:
    name = "celery"

    def __init__(self, redis_url, visibility_timeout=3600):
        from thread_layer.celery_app import configure

        configure(redis_url, visibility_timeout)

    def submit(self, run_id):
        from thread_layer.celery_app import execute_run_task

        return execute_run_task.apply_async(args=[run_id])

    def shutdown(self, wait=True):
        return None


def build_executor(
    kind, services, *, workers=2, nice=10, threads=None, redis_url=None, visibility_timeout=3600
):
    if kind == "celery":
        return CeleryExecutor(redis_url, visibility_timeout)
    return ThreadExecutor(services, workers, nice, threads)
