"""What run and model pages, the JSON API and the CLI share (each view calls one of these)."""

import logging

from flask import current_app

from entity.db import get_db
from entity.model_version import ModelVersionRepository
from entity.project import ProjectRepository
from entity.records import object_id
from entity.run import RunRepository
from exception_layer.errors import Conflict, NotFound, ValidationError
from logging_layer import run_log
from project_library.models import artifacts as model_store
from project_library.pipelines.runs import models_folder
from thread_layer.runs import cancel_run, start_run

logger = logging.getLogger(__name__)

__all__ = ["cancel_run", "start_run"]


def runs():
    return RunRepository(get_db())


def get_run(workspace_id, run_id):
    return runs().get(workspace_id, run_id)


def run_view(workspace_id, run_id, include_traceback=False):
    run = get_run(workspace_id, run_id)
    return run, run.to_dict(include_traceback=include_traceback)


def log_page(workspace_id, run_id, after):
    try:
        after = max(0, int(after or 0))
    except (TypeError, ValueError):
        raise ValidationError("'after' must be a whole number.") from None
    run = get_run(workspace_id, run_id)
    records, cursor = run_log.page(get_db(), run.id, after)
    return {
        "records": records,
        "next": cursor,
        "status": run.status,
        "step": run.step,
        "percent": run.percent,
        "message": run.message,
    }


def project_names(workspace_id):
    return {p.id: p.name for p in ProjectRepository(get_db()).list(workspace_id)}


def open_predictions(workspace_id, run_id):
    """(file name, binary stream) of a prediction run's CSV."""
    from project_library.projects.service import storage_of

    run = get_run(workspace_id, run_id)
    if run.kind != "predict" or run.status != "succeeded" or not run.output_path:
        raise NotFound("This run has no predictions to download.")
    project = ProjectRepository(get_db()).get(workspace_id, run.project_id)
    storage = storage_of(get_db(), project)
    return run.output_path.rsplit("/", 1)[-1], storage.open_read(run.output_path)


def list_models(workspace_id, project_id):
    project = ProjectRepository(get_db()).get(workspace_id, project_id)
    versions = ModelVersionRepository(get_db()).list(workspace_id, project.id)
    return project, versions


def promote(workspace_id, project_id, version, user, reason="promoted by an admin"):
    """Make ``version`` production after checking its files still verify."""
    from project_library.projects.service import storage_of

    db = get_db()
    project = ProjectRepository(db).get(workspace_id, project_id)
    models = ModelVersionRepository(db)
    record = models.get(workspace_id, project.id, version)
    model_store.verify_model(
        storage_of(db, project),
        models_folder(project),
        record.version,
        current_app.config["SECRET_KEY"],
        expected={"workspace_id": workspace_id, "project_id": project.id},
    )
    db["projects"].update_one(
        {"_id": object_id(project.id), "workspace_id": workspace_id},
        {"$set": {"production_version": record.version}},
    )
    models.record_promotion(
        workspace_id, project.id, record.version, getattr(user, "email", None), reason
    )
    logger.info("model_promoted project=%s version=%s", project.id, record.version)
    return record


def rollback(workspace_id, project_id, user):
    """Promote the version that was production before the current one."""
    project = ProjectRepository(get_db()).get(workspace_id, project_id)
    history = ModelVersionRepository(get_db()).promotions_for(workspace_id, project.id, 50)
    current = project.production_version
    for entry in history:
        if entry["version"] != current:
            return promote(
                workspace_id, project.id, entry["version"], user, f"rolled back from v{current}"
            )
    raise Conflict("There is no earlier production version to roll back to.")
