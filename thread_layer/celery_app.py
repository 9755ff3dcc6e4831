"""Celery over Redis as the run executor: ``celery -A thread_layer.celery_app worker``.

Messages carry only the run id; state lives in MongoDB. Acks are late and a task whose
worker dies is rejected back to the queue, so another worker re-runs it; the atomic claim
in ``RunRepository.claim`` keeps a delivered-twice run from executing twice.
"""

import logging
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

logger = logging.getLogger(__name__)

celery = Celery("ml_platform")
_flask_app = None


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

        _flask_app = create_app({"RUN_RECOVERY": False, "EXECUTOR": "celery"})
    return _flask_app


@worker_process_init.connect
def _fresh_clients(**_):
    # pymongo clients are not fork-safe; each pool child builds its own app and client.
    global _flask_app
    _flask_app = None


@worker_ready.connect
def _start_ticker(**_):
    """Every Celery worker ticks schedules and watchers too (in its main process)."""
    app = flask_app()
    if app.config["SCHEDULER"]:
        app.extensions["ticker"].start()


@worker_shutdown.connect
def _stop_ticker(**_):
    if _flask_app is not None:
        _flask_app.extensions["ticker"].stop()


@celery.task(name="ml_platform.execute_run", acks_late=True, reject_on_worker_lost=True)
def execute_run_task(run_id):
    from thread_layer.jobs import execute_run

    run = execute_run(flask_app().extensions["run_services"], run_id)
    return None if run is None else run.status
