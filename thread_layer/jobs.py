"""The body of every run, whatever executes it: claim, run the pipeline, record the outcome.

It has ONE try/except at its boundary: whatever goes wrong inside a pipeline ends here as a
failed (or cancelled) run with a one-line reason, the traceback kept for admins. Every log
line emitted while the run executes lands in the run's log (``logging_layer.run_log``).
"""

import logging
import traceback
from dataclasses import dataclass

from entity.store import Store
from exception_layer.errors import AppError
from integration.layout import log_path
from integration.mail import Mailer
from integration.registry import project_storage
from logging_layer.run_log import run_scope
from project_library.cancellation import RunCancelled
from project_library.models.promotion import record_production
from project_library.pipelines.context import NothingToDo
from project_library.pipelines.runs import PIPELINES, RunContext

logger = logging.getLogger(__name__)
pipeline_log = logging.getLogger("project_library.pipelines")


@dataclass(frozen=True)
class RunServices:
    """What a job needs, built once per process by the application factory."""

    store: Store
    secret: str  # signs and verifies model artifacts
    mailer: Mailer


def execute_run(services, run_id):
    """Run ``run_id`` if it is still ours to run; safe to call twice for the same run."""
    runs = services.store.runs
    run = runs.claim(run_id)
    if run is None:
        logger.info("run_not_claimed run=%s", run_id)
        return None
    with run_scope(services.store.run_logs, run) as scope:
        project, status, message, fields = _execute(services, run, scope)
    run = runs.finish(run, status, message, **fields)
    if project is not None:
        with run_scope(services.store.run_logs, run):
            services.mailer.notify(run, project, run.status)
    return run


def _execute(services, run, scope):
    """Run the pipeline inside the run's log scope; return (project, status, message, fields)."""
    project = storage = None
    try:
        project = services.store.projects.get(run.workspace_id, run.project_id)
        logger.info(
            "run_started kind=%s project=%s attempt=%d by=%s",
            run.kind,
            project.name,
            run.attempts,
            run.created_by_email or "-",
        )
        services.mailer.notify(run, project, "started")
        storage = project_storage(services.store, project)
        outcome = PIPELINES[run.kind](_context(services, run, project, storage, scope))
        message = outcome.pop("message")
        scope.step = "done"
        logger.info("run_succeeded %s", message)
        status, fields = "succeeded", {"step": "done", **outcome}
    except NothingToDo as outcome:
        scope.step = "skipped"
        logger.info("run_skipped reason=%s", outcome)
        status, message, fields = "skipped", str(outcome), {"step": "skipped"}
    except RunCancelled:
        scope.step = "cancelled"
        logger.warning("run_cancelled at the next step after the request")
        status, message = "cancelled", "Cancelled at the user's request."
        fields = {"step": "cancelled"}
    except Exception as exc:  # noqa: BLE001 - the job boundary: record, never re-raise
        message = one_line(exc)
        scope.step = "failed"
        logger.error("run_failed reason=%s", message)
        status = "failed"
        fields = {"step": "failed", "error_traceback": traceback.format_exc()}
    # The log is complete (archive included) before the status turns final, so whoever
    # sees the final status has every line.
    _archive_log(run, project, storage, scope)
    return project, status, message, fields


def one_line(exc):
    """A user-safe one-line reason: AppErrors speak for themselves; others are named only."""
    if isinstance(exc, AppError):
        return exc.message.splitlines()[0][:500]
    return f"Unexpected error ({type(exc).__name__}); an admin can read the details."


def _context(services, run, project, storage, scope):
    store = services.store
    runs = store.runs

    def progress(step, percent, message, **extra):
        scope.step = step
        runs.progress(run.id, step=step, percent=percent, message=message, **extra)

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
        cancel=lambda: runs.cancel_requested(run.id),
        covered=lambda version: runs.covered_inputs(run.workspace_id, run.project_id, version),
    )


def _archive_log(run, project, storage, scope):
    """Write the whole log to the project's logs folder; a storage failure is only logged."""
    if project is None or storage is None:
        return
    try:
        storage.write_bytes(log_path(project, run), scope.text().encode())
    except AppError as exc:
        logger.warning("log_archive_failed reason=%s", one_line(exc))
