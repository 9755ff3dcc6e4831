"""Validate a project's batch folder now, and restore a fixed file from quarantine."""

from entity.project import DEFAULT_METRIC
from entity.validation import BATCHES
from exception_layer.errors import AppError, ValidationError
from integration.registry import project_storage
from project_library.validation import batches as intake
from project_library.validation.samples import target_values
from project_library.validation.schema import infer_task, parse_schema


def validate(store, project, batch, created_by=None):
    """Run a validation now and store its report; return the stored report dict."""
    if batch not in BATCHES:
        raise ValidationError("The batch of batch is 'training' or 'prediction'.")
    intake.schema_for(project, batch)  # a clear 400 before anything is recorded
    reports = store.validations
    validation_id = reports.start(project.workspace_id, project.id, batch, created_by)
    try:
        storage = project_storage(store, project)
        result = intake.validate_batches(storage, project, batch, validation_id=validation_id)
        result.status = "done"
        if batch == "training":
            _infer_task_from_values(store, project, storage, result)
        data = result.to_dict()
        data["created_by"] = created_by
        reports.save(project.workspace_id, data)
    except Exception as error:  # never left "running": the report says it failed, and why
        reports.fail(project.workspace_id, validation_id, _reason(error))
        raise
    return reports.get(project.workspace_id, validation_id)


def _reason(error):
    if isinstance(error, AppError):
        return error.message
    return "The validation stopped on an unexpected error; it was logged on the server."


def _infer_task_from_values(store, project, storage, result):
    """When the task is still open, read the target's values in the first accepted file."""
    if project.task or not project.target or not result.accepted:
        return
    column = parse_schema(project.training_schema).column(project.target)
    if column is None:
        return
    path = result.accepted[0]
    values = target_values(lambda: storage.open_read(path), column.position - 1)
    task, reason = infer_task(column.type, values or None)
    if task:
        store.projects.update(
            project.workspace_id,
            project.id,
            task=task,
            metric=project.metric or DEFAULT_METRIC[task],
        )
        result.notes.append(f"The task was set to {task}: {reason} (change it in Settings).")


def restore(store, workspace_id, validation_id, file_name):
    reports = store.validations
    report = reports.get(workspace_id, validation_id)
    project = store.projects.get(workspace_id, report["project_id"])
    result = intake.ValidationResult.from_dict(report)
    destination = intake.restore_from_quarantine(
        project_storage(store, project), project, result, file_name
    )
    reports.mark_restored(workspace_id, validation_id, file_name)
    return project, destination


def report_with_project(store, workspace_id, validation_id):
    """(report, project, its files with the rejected ones first) for the report page."""
    report = store.validations.get(workspace_id, validation_id)
    project = store.projects.get(workspace_id, report["project_id"])
    files = sorted(report.get("files", []), key=lambda f: (f["accepted"], f["name"].lower()))
    return report, project, files
