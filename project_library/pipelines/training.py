"""The train pipeline: validate the training batches, load them, train, save, promote."""

from datetime import UTC, datetime

from entity.model_version import ModelVersion
from exception_layer.errors import NotFound, ValidationError
from integration.layout import models_folder, report_path
from project_library.models import artifacts as model_store
from project_library.pipelines.steps import lineage, validate
from project_library.pipelines.version_files import REPORT, version_files
from project_library.training.metrics import is_better
from project_library.training.train import TrainingOptions, train
from project_library.validation import batches as intake


def training_options(project):
    return TrainingOptions(
        task=project.task,
        target=project.target,
        metric=project.effective_metric,
        ignore_columns=tuple(project.ignore_columns or ()),
        id_columns=tuple(project.id_columns or ()),
        time_budget_s=float(project.time_budget_s or 120),
        strategy=project.strategy or "auto",
    )


def run_training(ctx):
    project = ctx.project
    if not project.task or not project.target:
        raise ValidationError("Set the project's task and target column before training.")
    ctx.step("validate", 2, "Validating training batches")
    result = validate(ctx, "training")
    ctx.step("load", 12, f"Merging {len(result.accepted)} accepted files")
    frame = intake.load_table(ctx.storage, project, result, "training")
    ctx.log.info("table rows=%d columns=%d", len(frame), len(frame.columns) - 2)
    ctx.step("train", 18, "Cleaning and selecting a model")

    def progress(percent, message):
        if ctx.progress:
            ctx.progress("train", 18 + percent * 0.7, message)

    trained = train(
        frame, training_options(project), log=ctx.log, cancel=ctx.cancel, progress=progress
    )
    del frame
    ctx.step("report", 90, "Drawing the report and the drift reference")
    version = ctx.models.next_version(project.id)
    summary = trained.summary()
    facts = manifest(ctx, result, summary)
    attachments = version_files(project, version, trained, facts["created_at"], ctx.log)
    ctx.step("save", 95, "Saving the model version")
    signed = model_store.save_model(
        ctx.storage, models_folder(project), version, trained.model, facts, ctx.secret, attachments
    )
    if REPORT in attachments:
        ctx.storage.write_bytes(report_path(project, version), attachments[REPORT])
    ctx.models.create(version_record(ctx, version, trained, summary, signed))
    promoted = should_promote(ctx, trained.metric, trained.metric_value)
    if promoted:
        ctx.set_production(version)
    verdict = "now in production" if promoted else "kept as a candidate (production is better)"
    ctx.log.info(
        "model_saved version=%d %s=%.4f production=%s",
        version,
        trained.metric,
        trained.metric_value,
        promoted,
    )
    return {
        "metrics": trained.metrics,
        "metric": trained.metric,
        "model_version": version,
        "validation_id": result.id,
        "message": f"Model v{version} ({trained.estimator_label}) "
        f"{trained.metric}={trained.metric_value:.4f}, {verdict}.",
    }


def manifest(ctx, result, summary):
    """The facts saved (and signed) beside the model artifact."""
    project = ctx.project
    return {
        "workspace_id": project.workspace_id,
        "project_id": project.id,
        "project_name": project.name,
        "run_id": ctx.run.id,
        "created_by": ctx.run.created_by_email,
        "created_at": datetime.now(UTC).isoformat(),
        "task": project.task,
        "target": project.target,
        "schema": project.training_schema,
        "lineage": lineage(result),
        "validation_id": result.id,
        **summary,
    }


def version_record(ctx, version, trained, summary, signed):
    """The model version's database record, from the result and the signed manifest."""
    project = ctx.project
    return ModelVersion(
        workspace_id=project.workspace_id,
        project_id=project.id,
        version=version,
        run_id=ctx.run.id,
        created_by=ctx.run.created_by_email,
        task=project.task,
        metric=trained.metric,
        metric_value=trained.metric_value,
        metrics=trained.metrics,
        estimator=trained.estimator,
        estimator_label=trained.estimator_label,
        params=trained.params,
        candidates=summary["candidates"],
        rows=trained.rows,
        lineage=signed["lineage"],
        feature_columns=summary["feature_columns"],
        dropped_columns=trained.dropped_columns,
        classes=summary["classes"],
        libraries=signed["libraries"],
        artifact=signed["artifact"],
        attachments=signed["attachments"],
        importance=trained.importance.to_dict()["features"] if trained.importance else [],
        folder=model_store.version_folder(models_folder(project), version),
        signature=signed["signature"]["value"],
    )


def should_promote(ctx, metric, value):
    current = ctx.project.production_version
    if current is None:
        return True
    try:
        incumbent = ctx.models.get(ctx.project.workspace_id, ctx.project.id, current)
    except NotFound:  # the incumbent's record is gone: nothing to beat
        return True
    if incumbent.metric != metric:
        return True
    return is_better(metric, value, incumbent.metric_value)
