"""What the project pages show: the list with latest validations, one project at a glance,
and the dashboard card. Reads only."""

import logging

from entity.validation import BATCHES
from exception_layer.errors import AppError
from integration.layout import PROJECT_FOLDERS, project_path
from integration.registry import project_storage
from project_library.projects.service import connection_choices, inferred_settings
from project_library.validation.batches import batch_folder
from project_library.validation.schema import parse_schema

logger = logging.getLogger(__name__)


def projects_with_latest(store, workspace_id):
    """(projects, {project id: {kind: latest validation report or None}})."""
    projects = store.projects.list(workspace_id)
    reports = store.validations
    latest = {
        p.id: {batch: reports.latest(workspace_id, p.id, batch) for batch in BATCHES}
        for p in projects
    }
    return projects, latest


def project_overview(store, workspace_id, project_id):
    """Everything the project page shows, as template values."""
    project = store.projects.get(workspace_id, project_id)
    schemas = {}
    for batch in BATCHES:
        classic = getattr(project, f"{batch}_schema")
        schemas[batch] = parse_schema(classic) if classic else None
    return {
        "project": project,
        "schemas": schemas,
        "counts": batch_counts(store, project),
        "validations": store.validations.list_for_project(workspace_id, project.id),
        "hints": inferred_settings(project.training_schema, project.prediction_schema),
        "folders": [(name, project_path(project.root, name)) for name in PROJECT_FOLDERS],
        "connection_name": dict(connection_choices(store, workspace_id)).get(
            project.connection_id, "—"
        ),
    }


def batch_counts(store, project):
    """Files in each batch folder; None for each when the storage cannot be read now."""
    counts = {}
    try:
        storage = project_storage(store, project)
        for batch in BATCHES:
            folder = batch_folder(project, batch)
            counts[batch] = len(storage.list(folder).files) if storage.exists(folder) else 0
    except AppError as error:
        logger.warning("batch_count_failed project=%s code=%s", project.id, error.code)
        return {batch: None for batch in BATCHES}
    return counts


def dashboard_card(store, workspace_id):
    """The Overview's projects card: the first projects, each with its latest validation."""
    projects = store.projects.list(workspace_id)
    latest = {}
    for report in store.validations.recent(workspace_id, limit=100):
        latest.setdefault(report["project_id"], report)
    return {"projects": projects[:8], "latest": latest, "total": len(projects)}
