"""Steps both pipelines share: validating a batch folder, and the lineage of a model."""

from exception_layer.errors import ValidationError
from project_library.validation import batches as intake


def validate(ctx, kind):
    """Validate the batch folder of ``kind``; fail clearly when nothing usable is there."""
    project = ctx.project
    label = "training" if kind == "training" else "prediction"
    validation_id = ctx.validations.start(
        project.workspace_id, project.id, kind, ctx.run.created_by
    )
    ctx.extra["validation_id"] = validation_id
    if ctx.progress:
        ctx.progress("validate", None, f"Validating {label} batches", validation_id=validation_id)
    result = intake.validate_batches(
        ctx.storage, project, kind, logger=ctx.log, cancel=ctx.cancel, validation_id=validation_id
    )
    ctx.validations.save(project.workspace_id, result.to_dict())
    if not result.files:
        folder = intake.batch_folder(project, kind)
        raise ValidationError(f"No {label} files: the folder '{folder}' is empty.")
    if not result.accepted:
        raise ValidationError(
            f"Every {label} file was rejected ({len(result.files)} files, now in quarantine); "
            "see the validation report."
        )
    return result


def lineage(result):
    return [
        {"file": f.name, "sha256": f.sha256, "rows": f.rows, "duplicate_of": f.duplicate_of}
        for f in result.files
        if f.accepted
    ]
