"""The body of every run, whatever executes it: claim, run the pipeline, record the outcome.

It has ONE try/except at its boundary: whatever goes wrong inside a pipeline ends here as a
failed (or cancelled) run with a one-line reason, the traceback kept for admins.
"""

import logging
import traceback

from flask import current_app

from entity.db import get_db
from entity.model_version import ModelVersionRepository
from entity.project import ProjectRepository
from entity.run import RunRepository
from entity.validation import ValidationRepository
from exception_layer.errors import AppError
from integration import mail
from logging_layer.run_log import RunLog
from project_library.cancellation import RunCancelled
from project_library.pipelines.runs import PIPELINES, RunContext, log_path

logger = logging.getLogger(__name__)


def execute_run(app, run_id):
    """Run ``run_id`` if it is still ours to run; safe to call twice for the same run."""
    with app.app_context():
        db = get_db()
        runs = RunRepository(db)
        run = runs.claim(run_id)
        if run is None:
            logger.info("run_not_claimed run=%s", run_id)
            return None
        log = RunLog(db, run)
        project = None
        storage = None
        try:
            project = ProjectRepository(db).get(run.workspace_id, run.project_id)
            log.info(
                "run_started kind=%s project=%s attempt=%d by=%s",
                run.kind,
                project.name,
                run.attempts,
                run.created_by_email or "-",
            )
            mail.notify(db, current_app, run, project, "started", log=log)
            from project_library.projects.service import storage_of

            storage = storage_of(db, project)
            context = _context(db, runs, run, project, storage, log)
            outcome = PIPELINES[run.kind](context)
            message = outcome.pop("message")
            log.step = "done"
            log.info("run_succeeded %s", message)
            status, fields = "succeeded", {"step": "done", **outcome}
        except RunCancelled:
            log.step = "cancelled"
            log.warning("run_cancelled at the next step after the request")
            status, message, fields = (
                "cancelled",
                "Cancelled at the user's request.",
                {"step": "cancelled"},
            )
        except Exception as exc:  # noqa: BLE001 - the job boundary: record, never re-raise
            message = one_line(exc)
            log.step = "failed"
            log.error("run_failed reason=%s", message)
            status = "failed"
            fields = {"step": "failed", "error_traceback": traceback.format_exc()}
        # The log is complete (archive included) before the status turns final, so whoever
        # sees the final status has every line.
        _archive_log(db, run, project, storage, log)
        run = runs.finish(run, status, message, **fields)
        if project is not None:
            mail.notify(db, current_app, run, project, run.status, log=log)
        return run


def one_line(exc):
    """A user-safe one-line reason: AppErrors speak for themselves; others are named only."""
    if isinstance(exc, AppError):
        return exc.message.splitlines()[0][:500]
    return f"Unexpected error ({type(exc).__name__}); an admin can read the details."


def _context(db, runs, run, project, storage, log):
    projects = ProjectRepository(db)

    def progress(step, percent, message, **extra):
        runs.progress(run.id, step=step, percent=percent, message=message, **extra)

    def cancel():
        return runs.cancel_requested(run.id)

    def set_production(version):
        projects.collection.update_one(
            {"_id": _oid(project.id), "workspace_id": project.workspace_id},
            {"$set": {"production_version": int(version)}},
        )
        models.record_promotion(
            project.workspace_id,
            project.id,
            version,
            run.created_by_email,
            f"trained by run {run.id}",
        )

    models = ModelVersionRepository(db)
    return RunContext(
        run=run,
        project=project,
        storage=storage,
        log=log,
        secret=current_app.config["SECRET_KEY"],
        models=models,
        validations=ValidationRepository(db),
        set_production=set_production,
        progress=progress,
        cancel=cancel,
    )


def _oid(value):
    from entity.records import object_id

    return object_id(value)


def _archive_log(db, run, project, storage, log):
    """Write the whole log to the project's logs folder; a storage failure is only logged."""
    if project is None or storage is None:
        return
    try:
        storage.write_bytes(log_path(project, run), log.text().encode())
    except AppError as exc:
        log.warning("log_archive_failed reason=%s", one_line(exc))
