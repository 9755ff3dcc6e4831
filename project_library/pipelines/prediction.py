"""The predict pipeline: validate the prediction batches, choose the files to predict (new
ones by default), load the production model, predict their rows, write the predictions CSV."""

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd

from exception_layer.errors import ValidationError
from integration.layout import PREDICTIONS, models_folder, project_path
from project_library.models import artifacts as model_store
from project_library.pipelines.context import NothingToDo
from project_library.pipelines.steps import validate
from project_library.prediction.predict import predict_table, write_csv
from project_library.validation import batches as intake


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
        "inputs": [{"name": f.name, "sha256": f.sha256, "rows": f.rows} for f in result.files],
        "message": f"Predicted {len(out)} rows from {len(result.accepted)} files "
        f"with model v{project.production_version}.",
    }


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
