"""The body of every run, whatever executes it: claim, run the pipeline, record the outcome.

It has ONE try/except at its boundary: whatever goes wrong inside a pipeline ends here as a
failed (or cancelled) run with a one-line reason. The failure's type and message are kept on
the run for admins, under an error id; the traceback goes to the server log only, with that
id. Every log line emitted while the run executes lands in the run's log
(``logging_layer.run_log``). While the run executes, its heartbeat beats
(``thread_layer.heartbeat``); every write after the claim is conditioned on this worker still
holding the run, so a run the watchdog settled is never overwritten.
"""

import logging
import re
import time
import uuid
from dataclasses import dataclass

from pymongo.errors import ConnectionFailure, PyMongoError

from entity.store import Store
from exception_layer.errors import AppError, as_app_error
from integration.layout import log_path
from integration.mail import Mailer
from integration.registry import project_storage
from logging_layer.run_log import run_scope
from project_library.cancellation import RunCancelled
from project_library.models.promotion import record_production
from project_library.pipelines.context import NothingToDo
from project_library.pipelines.runs import PIPELINES, RunContext
from thread_layer.heartbeat import Heartbeat

logger = logging.getLogger(__name__)
pipeline_log = logging.getLogger("project_library.pipelines")

# An absolute path inside an error message (a server's folders are nobody else's business).
_PATH = re.compile(r"(?<![\w.~-])/(?:[\w.~-]+/)+[\w.~-]*")


@dataclass(frozen=True)
class RunServices:
    """What a job needs, built once per process by the application factory."""

    store: Store
    secret: str  # signs and verifies model artifacts
    mailer: Mailer
    heartbeat_s: float = 10.0  # how often a running run stamps its heartbeat
    stale_s: float = 120.0  # a heartbeat older than this: the watchdog settles the run


def execute_run(services, run_id):
    """Run ``run_id`` if it is still ours to run; safe to call twice for the same run."""
    run = services.store.runs.claim(run_id)
    if run is None:
        logger.info("run_not_claimed run=%s", run_id)
        return None
    return execute_claimed(services, run)


def execute_claimed(services, run):
    """Execute a run this worker claimed; return it as recorded, or None when it was not
    (the watchdog settled it meanwhile and said why, or the database stayed away)."""
    with Heartbeat(services.store.runs, run, services.heartbeat_s) as heartbeat:
        with run_scope(services.store.run_logs, run) as scope:
            project, status, message, fields = _execute(services, run, scope, heartbeat)
        finished = _record(services, run, status, message, fields)
    if finished is not None and project is not None:
        with run_scope(services.store.run_logs, finished):
            _mail(services, finished, project, finished.status)
    return finished


def fail_unclaimed(store, run_id, exc):
    """A run whose worker failed before claiming it: failed with why, never left queued."""
    error = failure(exc, f"run_not_started run={run_id}")
    message = (
        "A worker could not start this run; an admin finds why in the worker's log under "
        f"error id {error['id']}. Start it again once the worker is fixed."
    )
    return store.runs.fail_unclaimed(run_id, message, error=error)


def _execute(services, run, scope, heartbeat):
    """Run the pipeline inside the run's log scope; return (project, status, message, fields)."""
    project = storage = context = None
    try:
        project = services.store.projects.get(run.workspace_id, run.project_id)
        logger.info(
            "run_started kind=%s project=%s attempt=%d by=%s",
            run.kind,
            project.name,
            run.attempts,
            run.created_by_email or "-",
        )
        _mail(services, run, project, "started")
        storage = project_storage(services.store, project)
        context = _context(services, run, project, storage, scope, heartbeat)
        outcome = PIPELINES[run.kind](context)
        message = outcome.pop("message")
        status = outcome.pop("status", "succeeded")  # or "needs_review": drift held it
        scope.step = "done"
        logger.info("run_%s %s", status, message)
        fields = {"step": "done", **outcome}
    except NothingToDo as outcome:
        scope.step = "skipped"
        logger.info("run_skipped reason=%s", outcome)
        status, message, fields = "skipped", str(outcome), {"step": "skipped"}
    except RunCancelled:
        scope.step = "cancelled"
        if heartbeat.lost.is_set():
            logger.warning("run_stopped reason=settled meanwhile by another process")
        else:
            logger.warning("run_cancelled at the next step after the request")
        status, message = "cancelled", "Cancelled at the user's request."
        fields = {"step": "cancelled"}
    except Exception as exc:  # noqa: BLE001 - the job boundary: record, never re-raise
        message = one_line(exc)
        scope.step = "failed"
        status = "failed"
        fields = {"step": "failed", "error": failure(exc, f"run_failed reason={message}")}
    if status in ("failed", "cancelled"):  # a validation it left half-way gets the reason
        _fail_validation(services, run, context, message)
    # The log is complete (archive included) before the status turns final, so whoever
    # sees the final status has every line.
    _archive_log(run, project, storage, scope)
    return project, status, message, fields


def one_line(exc):
    """A user-safe one-line reason: AppErrors speak for themselves; others are named only."""
    error = as_app_error(exc)
    if error is not None:
        return error.message.splitlines()[0][:500]
    return f"Unexpected error ({type(exc).__name__}); an admin can read the details."


def failure(exc, what):
    """Log ``what`` under a new error id, with the traceback of an unexpected error (in the
    server log only: a run's own log keeps the line without it); return the details an
    admin sees on the run."""
    error_id = uuid.uuid4().hex[:12]
    error = as_app_error(exc)
    logger.error("%s error_id=%s", what, error_id, exc_info=None if error else exc)
    text = error.message if error is not None else str(exc)
    return {
        "id": error_id,
        "type": type(exc).__name__,
        "message": _PATH.sub("<path>", text.splitlines()[0] if text else "")[:500],
    }


def _record(services, run, status, message, fields):
    """Record the outcome, waiting out a database that is away for up to ``stale_s``
    (beyond it, the watchdog settles the run); None when the run is no longer ours."""
    deadline = time.monotonic() + services.stale_s
    delay = 0.5
    while True:
        try:
            return services.store.runs.finish_claimed(run, status, message, **fields)
        except ConnectionFailure:
            if time.monotonic() + delay > deadline:
                logger.error("run_not_recorded run=%s reason=database unreachable", run.id)
                return None
            time.sleep(delay)
            delay = min(2 * delay, 10)


def _mail(services, run, project, event):
    """Queue a run's email; mail never fails a run (a failure is logged and left at that)."""
    try:
        services.mailer.notify(run, project, event)
    except Exception as exc:  # noqa: BLE001 - mail is a side effect, never the run's outcome
        logger.warning("mail_not_queued event=%s reason=%s", event, one_line(exc))


def _fail_validation(services, run, context, message):
    """The validation this run was reading, if still ``running``, ends failed with why."""
    validation_id = (context.extra if context else {}).get("validation_id")
    if validation_id:
        try:
            services.store.validations.fail_if_running(run.workspace_id, validation_id, message)
        except PyMongoError:  # the database is away: the watchdog fails it later
            logger.warning("validation_not_failed validation=%s", validation_id)


def _context(services, run, project, storage, scope, heartbeat):
    store = services.store
    runs = store.runs

    def progress(step, percent, message, **extra):
        scope.step = step
        cancel = runs.progress_claimed(
            run.id, run.worker, step=step, percent=percent, message=message, **extra
        )
        if cancel is None:  # no longer ours: stop here, write nothing more
            heartbeat.lost.set()
            raise RunCancelled()

    def cancel():
        return heartbeat.lost.is_set() or runs.cancel_requested(run.id)

    def set_production(version):
        record_production(store, project, version, run.created_by_email, f"trained by run {run.id}")

    return RunContext(
        run=run,
        project=project,
        storage=storage,
        log=pipeline_log,
        secret=services.secret,
        models=store.models,
        validations=store.validations,
        set_production=set_production,
        progress=progress,
        cancel=cancel,
        covered=lambda version: runs.covered_inputs(run.workspace_id, run.project_id, version),
    )


def _archive_log(run, project, storage, scope):
    """Write the whole log to the project's logs folder; a failure is only logged."""
    if project is None or storage is None:
        return
    try:
        storage.write_bytes(log_path(project, run), scope.text().encode())
    except (AppError, PyMongoError) as exc:
        logger.warning("log_archive_failed reason=%s", one_line(exc))
