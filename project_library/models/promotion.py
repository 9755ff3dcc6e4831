"""Model versions and production: list, promote (after the files verify), roll back."""

import logging

from exception_layer.errors import Conflict
from integration.layout import models_folder
from integration.registry import project_storage
from project_library.models import artifacts

logger = logging.getLogger(__name__)


def list_models(store, workspace_id, project_id):
    project = store.projects.get(workspace_id, project_id)
    return project, store.models.list(workspace_id, project.id)


def record_production(store, project, version, by, reason):
    """Make ``version`` the project's production model and keep it in the history."""
    store.projects.set_production(project.workspace_id, project.id, version)
    store.models.record_promotion(project.workspace_id, project.id, version, by, reason)


def promote(store, secret, workspace_id, project_id, version, actor, reason="promoted by an admin"):
    """Make ``version`` production after checking its files still verify."""
    project = store.projects.get(workspace_id, project_id)
    record = store.models.get(workspace_id, project.id, version)
    artifacts.verify_model(
        project_storage(store, project),
        models_folder(project),
        record.version,
        secret,
        expected={"workspace_id": workspace_id, "project_id": project.id},
    )
    record_production(store, project, record.version, getattr(actor, "email", None), reason)
    logger.info("model_promoted project=%s version=%s", project.id, record.version)
    return record


def rollback(store, secret, workspace_id, project_id, actor):
    """Promote the version that was production before the current one."""
    project = store.projects.get(workspace_id, project_id)
    history = store.models.promotions_for(workspace_id, project.id, 50)
    current = project.production_version
    for entry in history:
        if entry["version"] != current:
            reason = f"rolled back from v{current}"
            return promote(store, secret, workspace_id, project.id, entry["version"], actor, reason)
    raise Conflict("There is no earlier production version to roll back to.")


def promotion_history(store, workspace_id, project_id):
    return store.models.promotions_for(workspace_id, project_id)
