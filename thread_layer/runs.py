"""The run lifecycle that pages, the API and the CLI share: start, cancel, read, recover."""

import logging

from entity.run import KINDS, TRIGGERS, Run
from exception_layer.errors import NotFound, ValidationError
from integration.registry import project_storage
from logging_layer import run_log
from project_library.deletion.requests import refuse_if_deleting

logger = logging.getLogger(__name__)

FILE_CHOICES = ("new", "all")


def start_run(store, executor, workspace_id, project_id, kind, actor, **options):
    """Create a queued run and hand it to the executor; return the run.

    ``options``: ``trigger`` (default: the acting person), ``files`` ("new" or "all", for a
    prediction), ``input_names`` (a watcher's files), ``schedule_id`` and ``scheduled_for``.
    """
    run = store.runs.create(new_run(store, workspace_id, project_id, kind, actor, **options))
    try:
        executor.submit(run.id)
    except Exception as exc:  # noqa: BLE001 - e.g. the broker is down: never leave it queued
        logger.error("run_not_submitted run=%s error=%s", run.id, type(exc).__name__)
        return store.runs.finish(
            run,
            "failed",
            "The run could not be handed to a worker (the job queue did not answer); "
            "start it again.",
            step="failed",
        )
    return run


def new_run(
    store,
    workspace_id,
    project_id,
    kind,
    actor=None,
    *,
    trigger=None,
    files=None,
    input_names=None,
    schedule_id=None,
    scheduled_for=None,
):
    """A run of ``kind`` for the project, not yet stored (its fields checked)."""
    if kind not in KINDS:
        raise ValidationError("A run's kind is 'train' or 'predict'.", details={"field": "kind"})
    if files not in (None, *FILE_CHOICES):
        raise ValidationError("'files' is 'new' or 'all'.", details={"field": "files"})
    project = store.projects.get(workspace_id, project_id)
    refuse_if_deleting(project)
    return Run(
        workspace_id=workspace_id,
        project_id=project.id,
        kind=kind,
        project_name=project.name,
        created_by=getattr(actor, "id", None),
        created_by_email=getattr(actor, "email", None),
        created_by_name=getattr(actor, "name", None),
        trigger=trigger or person_trigger(actor),
        files=(files or "new") if kind == "predict" else None,
        input_names=input_names,
        schedule_id=schedule_id,
        scheduled_for=scheduled_for,
    )


def person_trigger(actor, token=False):
    """Who pressed the button (or called the API with a token)."""
    if actor is None:
        return {"type": "person"}
    return {
        "type": "token" if token else "person",
        "user_id": getattr(actor, "id", None),
        "email": getattr(actor, "email", None),
        "name": getattr(actor, "name", None),
    }


def cancel_run(store, workspace_id, run_id):
    return store.runs.request_cancel(workspace_id, run_id)


def recover_runs(store, executor):
    """At start-up: interrupt runs of gone processes, and enqueue the queued ones again."""
    for run_id in store.runs.recover():
        executor.submit(run_id)


def log_page(store, workspace_id, run_id, after):
    """The run's log lines after ``after``, with its live state, for the log viewer."""
    try:
        after = max(0, int(after or 0))
    except (TypeError, ValueError):
        raise ValidationError("'after' must be a whole number.") from None
    run = store.runs.get(workspace_id, run_id)
    records, cursor = run_log.page(store.run_logs, run.id, after)
    return {
        "records": records,
        "next": cursor,
        "status": run.status,
        "step": run.step,
        "percent": run.percent,
        "message": run.message,
    }


def open_predictions(store, workspace_id, run_id):
    """(file name, binary stream) of a prediction run's CSV."""
    run = store.runs.get(workspace_id, run_id)
    if run.kind != "predict" or run.status != "succeeded" or not run.output_path:
        raise NotFound("This run has no predictions to download.")
    project = store.projects.get(workspace_id, run.project_id)
    stream = project_storage(store, project).open_read(run.output_path)
    return run.output_path.rsplit("/", 1)[-1], stream


def project_names(store, workspace_id):
    return {p.id: p.name for p in store.projects.list(workspace_id)}


def list_runs(store, workspace_id, project_id=None, trigger=None):
    """(runs newest first, {project id: name}) for the runs list."""
    if trigger and trigger not in TRIGGERS:
        raise ValidationError(f"A run's trigger is one of: {', '.join(TRIGGERS)}.")
    runs = store.runs.list(workspace_id, project_id, trigger=trigger)
    return runs, project_names(store, workspace_id)


def run_overview(store, workspace_id, run_id):
    """The run with its project's name, its validation report, its model version, and the
    details of its failure (type, message, error id: for admins' eyes)."""
    run = store.runs.get(workspace_id, run_id)
    validation = model = None
    if run.validation_id:
        try:
            validation = store.validations.get(workspace_id, run.validation_id)
        except NotFound:
            validation = None
    if run.kind == "train" and run.model_version:
        try:
            model = store.models.get(workspace_id, run.project_id, run.model_version)
        except NotFound:
            model = None
    return {
        "run": run,
        "project_name": project_names(store, workspace_id).get(run.project_id),
        "validation": validation,
        "model": model,
        "error": store.runs.error_of(workspace_id, run.id) if run.status == "failed" else None,
    }
