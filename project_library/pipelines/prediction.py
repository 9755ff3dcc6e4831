"""The predict pipeline: validate the prediction batches, choose the files to predict (new
ones by default), load the production model, predict their rows, check the batch for drift
against the model's training data, and write the predictions CSV (or, in a project that
holds drifted batches, keep it back for an admin's review)."""

import json
from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd

from exception_layer.errors import NotFound, ValidationError
from integration.layout import HELD_PREDICTIONS, PREDICTIONS, models_folder, project_path
from project_library.drift import batch_predictions, check_batch
from project_library.models import artifacts as model_store
from project_library.pipelines.context import NothingToDo
from project_library.pipelines.steps import validate
from project_library.pipelines.version_files import PROFILE, SHOWN_PREDICTIONS
from project_library.prediction.predict import predict_table, write_csv
from project_library.reports.distribution import distribution_figure, prediction_distribution
from project_library.validation import batches as intake

DISTRIBUTION_TITLE = "Predictions: this batch and held-out rows"


def run_prediction(ctx):
    project = ctx.project
    if project.production_version is None:
        raise ValidationError("The project has no production model yet; train one first.")
    ctx.step("validate", 2, "Validating prediction batches")
    result = choose_inputs(ctx, validate(ctx, "prediction"))
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
    features = model.prepare(frame)  # once, for the predictions and the drift check
    out = predict_table(model, frame, project.id_columns, cancel=ctx.cancel, features=features)
    del frame
    ctx.step("drift", 75, "Comparing the batch with the training data")
    drift, figure = check_drift(ctx, model, features, out)
    del features
    out = with_duplicate_files(out, result)
    hold = drift is not None and drift.drifted and (project.drift_action or "warn") == "hold"
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    path = write_predictions(ctx, out, stamp, hold)
    done = (
        f"Predicted {len(out)} rows from {len(result.accepted)} files "
        f"with model v{project.production_version}."
    )
    outcome = {
        "model_version": int(project.production_version),
        "metric": manifest.get("metric"),
        "output_rows": int(len(out)),
        "validation_id": result.id,
        "inputs": [{"name": f.name, "sha256": f.sha256, "rows": f.rows} for f in result.files],
        **drift_fields(ctx, drift, figure, stamp),
    }
    if hold:
        message = f"Held for review: {drift.summary()} {done}"
        held = {"status": "needs_review", "held_path": path, "percent": 100.0}
        return {**outcome, **held, "message": message}
    warning = f" Drift: {drift.summary()}" if drift is not None and drift.drifted else ""
    return {**outcome, "output_path": path, "message": done + warning}


def write_predictions(ctx, out, stamp, hold):
    """Write the predictions CSV to the predictions folder, or to the held folder; its path."""
    ctx.step("write", 85, "Holding the predictions for review" if hold else "Writing predictions")
    name = f"predictions_{stamp}_{ctx.run.id}.csv"
    path = project_path(ctx.project.root, HELD_PREDICTIONS if hold else PREDICTIONS, name)
    write_csv(ctx.storage, path, out)
    ctx.log.info("predictions_written file=%s rows=%d held=%s", name, len(out), hold)
    return path


def check_drift(ctx, model, features, out):
    """(the batch's drift report against the production version's profile, the figure of
    its predictions beside the held-out ones); (None, None) when the version has no profile
    (trained before drift checks existed)."""
    project = ctx.project
    try:
        raw = model_store.read_attachment(
            ctx.storage,
            models_folder(project),
            project.production_version,
            PROFILE,
            ctx.secret,
            expected={"workspace_id": project.workspace_id, "project_id": project.id},
        )
    except NotFound:
        ctx.log.warning(
            "drift_skipped reason=model v%s has no reference profile (train a new version)",
            project.production_version,
        )
        return None, None
    profile = json.loads(raw)
    predicted = out["prediction"].to_numpy()
    report = check_batch(profile, features, batch_predictions(predicted, profile["predictions"]))
    ctx.log.info("drift drifted=%s %s", report.drifted, report.summary())
    shown, figure = profile.get(SHOWN_PREDICTIONS), None
    if shown is not None:
        batch = prediction_distribution(model.task, model.classes, predicted)
        figure = distribution_figure(shown, batch, DISTRIBUTION_TITLE)
    return report, figure


def drift_fields(ctx, drift, figure, stamp):
    """The run's drift record, and the JSON report written beside the predictions."""
    if drift is None:
        return {}
    report = drift.to_dict()
    path = project_path(ctx.project.root, PREDICTIONS, f"drift_{stamp}_{ctx.run.id}.json")
    ctx.storage.write_bytes(path, json.dumps(report, indent=1, allow_nan=False).encode())
    shown = None
    if figure is not None:
        shown = {"svg": figure.svg, "title": figure.title, "alt": figure.alt}
    return {"drift": report, "drift_summary": drift.summary(), "distribution": shown}


def choose_inputs(ctx, result):
    """The validation result narrowed to the files this run predicts.

    ``run.files`` "all" takes every accepted file; otherwise ("new", the default) only files
    no succeeded prediction has covered with the production model (same name and content).
    A watcher's run (``run.input_names``) looks only at the files it saw land. With nothing
    left the run is skipped, not failed.
    """
    run, version = ctx.run, ctx.project.production_version
    covered = ctx.covered(version) if (ctx.covered and run.files != "all") else set()
    names = set(run.input_names) if run.input_names is not None else None
    chosen = [
        f
        for f in result.files
        if f.accepted and (names is None or f.name in names) and (f.name, f.sha256) not in covered
    ]
    if not chosen:
        raise NothingToDo(
            "No new prediction files: every accepted file was already predicted "
            f"with model v{version}."
        )
    kept = {f.name for f in chosen}
    files = [f if f.duplicate_of in kept else replace(f, duplicate_of=None) for f in chosen]
    ctx.log.info(
        "inputs files=%d of=%d selection=%s", len(files), len(result.accepted), run.files or "new"
    )
    return replace(result, files=files, accepted=[f.path for f in files])


def with_duplicate_files(out, result):
    """Files with the same bytes as another were read once; give each its own rows back."""
    copies = []
    for report in result.files:
        if report.accepted and report.duplicate_of:
            rows = out[out["source_file"] == report.duplicate_of].copy()
            rows["source_file"] = report.name
            copies.append(rows)
    return pd.concat([out, *copies], ignore_index=True) if copies else out
