"""The train and predict pipelines, as plain functions over injected dependencies.

``RunContext`` carries everything a pipeline touches: the project, its storage, the run's
log, repositories, a ``progress(step, percent, message)`` callable, a ``cancel()`` callable
and the signing secret. Each pipeline returns the fields to record on the finished run.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from exception_layer.errors import NotFound, ValidationError
from integration.layout import LOGS, MODELS, PREDICTIONS, project_path
from project_library.cancellation import check_cancel
from project_library.models import artifacts as model_store
from project_library.prediction.predict import predict_table, write_csv
from project_library.training.metrics import is_better
from project_library.training.train import TrainingOptions, train
from project_library.validation import batches as intake

logger = logging.getLogger(__name__)


@dataclass
class RunContext:
    run: object
    project: object
    storage: object
    log: object
    secret: str
    models: object  # ModelVersionRepository
    validations: object  # ValidationRepository
    set_production: object  # callable(version) -> None
    progress: object = None  # callable(step, percent, message)
    cancel: object = None  # callable() -> bool
    extra: dict = field(default_factory=dict)

    def step(self, name, percent, message):
        self.log.step = name
        self.log.info("step=%s %s", name, message)
        if self.progress:
            self.progress(name, percent, message)
        check_cancel(self.cancel)


def models_folder(project):
    return project_path(project.root, MODELS)


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
    ctx.step("save", 88, "Saving the model version")
    version = ctx.models.next_version(project.id)
    summary = trained.summary()
    manifest = {
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
    signed = model_store.save_model(
        ctx.storage, models_folder(project), version, trained.model, manifest, ctx.secret
    )
    from entity.model_version import ModelVersion

    record = ModelVersion(
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
        folder=model_store.version_folder(models_folder(project), version),
        signature=signed["signature"]["value"],
    )
    ctx.models.create(record)
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


def run_prediction(ctx):
    project = ctx.project
    if project.production_version is None:
        raise ValidationError("The project has no production model yet; train one first.")
    ctx.step("validate", 2, "Validating prediction batches")
    result = validate(ctx, "prediction")
    ctx.step("model", 20, f"Loading model v{project.production_version}")
    model, manifest = model_store.load_model(
        ctx.storage,
        models_folder(project),
        project.production_version,
        ctx.secret,
        expected={"workspace_id": project.workspace_id, "project_id": project.id},
    )
    ctx.step("load", 30, f"Reading {len(result.accepted)} accepted files")
    frame = intake.load_table(ctx.storage, project, result, "prediction")
    ctx.step("predict", 50, f"Predicting {len(frame)} rows")
    out = predict_table(model, frame, project.id_columns, cancel=ctx.cancel)
    del frame
    out = with_duplicate_files(out, result)
    ctx.step("write", 85, "Writing the predictions file")
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    path = project_path(project.root, PREDICTIONS, f"predictions_{stamp}_{ctx.run.id}.csv")
    write_csv(ctx.storage, path, out)
    ctx.log.info("predictions_written file=%s rows=%d", path.rsplit("/", 1)[-1], len(out))
    return {
        "model_version": int(project.production_version),
        "metric": manifest.get("metric"),
        "output_path": path,
        "output_rows": int(len(out)),
        "validation_id": result.id,
        "message": f"Predicted {len(out)} rows from {len(result.accepted)} files "
        f"with model v{project.production_version}.",
    }


def with_duplicate_files(out, result):
    """Files with the same bytes as another were read once; give each its own rows back."""
    import pandas as pd

    copies = []
    for report in result.files:
        if report.accepted and report.duplicate_of:
            rows = out[out["source_file"] == report.duplicate_of].copy()
            rows["source_file"] = report.name
            copies.append(rows)
    return pd.concat([out, *copies], ignore_index=True) if copies else out


def log_path(project, run):
    stamp = (run.created_at or datetime.now(UTC)).strftime("%Y%m%d_%H%M%S")
    return project_path(project.root, LOGS, f"{run.kind}_{stamp}_{run.id}.log")


PIPELINES = {"train": run_training, "predict": run_prediction}
