"""Celery over Redis as the run executor: ``celery -A thread_layer.celery_app worker``.

Messages carry only the run id; state lives in MongoDB. Acks are late and a task whose
worker dies is rejected back to the queue, so another worker re-runs it; the atomic claim
in ``RunRepository.claim`` keeps a delivered-twice run from executing twice.
"""

import logging
import os
import sys
from pathlib import Path

# Celery puts the working directory on sys.path only while it imports this module, then
# removes that entry; a task's later imports (the app, a model being unpickled) need the
# project's packages whatever the working directory, so an entry of our own stays at the end
# (``remove`` takes the first of two equal entries, so Celery's removal leaves this one).
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.append(PROJECT_ROOT)

from celery import Celery  # noqa: E402 - after the path above, on purpose
from celery.signals import (  # noqa: E402
    setup_logging,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)
from pymongo.errors import ConnectionFailure  # noqa: E402

from thread_layer import priority  # noqa: E402
from thread_layer.jobs import execute_claimed, fail_unclaimed  # noqa: E402

logger = logging.getLogger(__name__)

celery = Celery("ml_platform")
_flask_app = None
# A worker's own settings: recovery at start-up is left to redelivery (a run of a dead
# worker comes back through Redis and is taken over by ``RunRepository.claim``).
WORKER_CONFIG = {"RUN_RECOVERY": False, "EXECUTOR": "celery"}
DB_RETRY_LIMIT = 10  # the database away before the claim: 10 more tries over about 5 minutes


def configure(broker_url, visibility_timeout=3600):
    celery.conf.update(
        broker_url=broker_url,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": int(visibility_timeout),
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        # The app logs to stderr itself; redirected, each line would come back as a log
        # record of its own (and land in a run's log twice).
        worker_redirect_stdouts=False,
    )


configure(
    os.environ.get("MLP_REDIS_URL", "redis://127.0.0.1:6379/0"),
    os.environ.get("MLP_CELERY_VISIBILITY_TIMEOUT", 3600),
)


def flask_app():
    """The worker's Flask app, built once per process from the MLP_* environment."""
    global _flask_app
    if _flask_app is None:
        from app import create_app

        _flask_app = create_app(WORKER_CONFIG)
    return _flask_app


@setup_logging.connect
def _app_logging(**_):
    """Leave logging to the app (``logging_layer.setup``, when the app is built): with a
    receiver connected here Celery adds no root handler of its own, so each line is written
    once, in the app's format, and ``--loglevel`` gives way to ``MLP_LOG_LEVEL``."""


@worker_process_init.connect
def _fresh_clients(**_):
    # pymongo clients are not fork-safe; each pool child builds its own app and client.
    global _flask_app
    _flask_app = None


@worker_ready.connect
def _start_background(**_):
    """Every Celery worker ticks schedules, watchers and the run watchdog too, in its main
    process (the pool children only execute runs)."""
    app = flask_app()
    if app.config["SCHEDULER"]:
        app.extensions["ticker"].start()


@worker_shutdown.connect
def _stop_ticker(**_):
    if _flask_app is not None:
        _flask_app.extensions["ticker"].stop()


@celery.task(name="ml_platform.execute_run", bind=True, acks_late=True, reject_on_worker_lost=True)
def execute_run_task(self, run_id):
    """Claim and execute a run. Whatever fails before the claim is not lost: the database
    being away is retried with back-off; anything else marks the run failed with why."""
    try:
        services = flask_app().extensions["run_services"]
        run = services.store.runs.claim(run_id)
    except ConnectionFailure as exc:
        if self.request.retries >= DB_RETRY_LIMIT:
            raise
        logger.warning("run_claim_retry run=%s reason=database unreachable", run_id)
        raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc
    except Exception as exc:  # noqa: BLE001 - before the claim: record it on the run
        fail_unclaimed(_failure_store(), run_id, exc)
        return "failed"
    if run is None:
        logger.info("run_not_claimed run=%s", run_id)
        return None
    config = flask_app().config
    threads = config.get("RUN_THREADS") or priority.default_threads()
    priority.cap_process_threads(threads)  # a worker process serves no pages
    priority.lower_this_thread(config.get("RUN_NICE", 10), threads, blas=True)
    run = execute_claimed(services, run)
    return None if run is None else run.status


def _failure_store():
    """The store to record a failure before the claim: the app's, or (when the app itself
    could not be built) one opened from the same settings."""
    if _flask_app is not None:
        return _flask_app.extensions["store"]
    from app import open_store, settings_of

    return open_store(settings_of(WORKER_CONFIG))
