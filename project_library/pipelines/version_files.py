"""The files saved and signed beside every model version, besides the model itself.

- ``figures.json``: the report's figures (SVG plus the downsampled points behind each) and
  tables, computed on the held-out rows the version was scored on;
- ``report.html``: the same as one self-contained page, also copied to ``reports/``;
- ``profile.json``: the reference profile every prediction batch is checked against for
  drift (feature distributions of the training split, held-out prediction distribution,
  permutation-importance weights).

A report that cannot be drawn never costs the model: the version is saved without it and
the run's log says why.
"""

import json
import logging
import time

from project_library.drift import build_profile, reference_predictions
from project_library.reports.distribution import prediction_distribution
from project_library.reports.document import render_report
from project_library.reports.figures import build_figures
from project_library.reports.tables import class_table, regression_summary
from project_library.training import metrics as metric_defs

logger = logging.getLogger(__name__)

FIGURES = "figures.json"
REPORT = "report.html"
PROFILE = "profile.json"
SHOWN_PREDICTIONS = "shown_predictions"
DRAWING_ERRORS = (ValueError, TypeError, ArithmeticError, KeyError, IndexError)


def dump(value):
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str).encode()


def report_meta(project, version, trained, created_at):
    """What the report's header reads."""
    return {
        "project_name": project.name,
        "version": int(version),
        "task": project.task,
        "target": project.target,
        "estimator_label": trained.estimator_label,
        "metric": trained.metric,
        "metric_label": metric_defs.LABELS.get(trained.metric, trained.metric),
        "metric_value": trained.metric_value,
        "metrics": trained.metrics,
        "created_at": created_at,
        "rows": trained.rows,
        "train_rows": trained.rows.get("train"),
        "held_out_rows": trained.rows.get("held_out"),
        "feature_count": len(trained.model.feature_columns),
        "classes": trained.model.classes,
    }


def report_files(project, version, trained, created_at, log=logger):
    """{figures.json, report.html} for the version, or {} when drawing failed."""
    began = time.monotonic()
    held = trained.held_out
    try:
        figures = build_figures(
            held, trained.importance, trained.summary()["candidates"], trained.estimator
        )
        tables = (
            {"classes": class_table(held)}
            if held.classes
            else {"regression": regression_summary(held)}
        )
        html = render_report(report_meta(project, version, trained, created_at), figures, tables)
    except DRAWING_ERRORS as exc:
        log.warning("report_skipped error=%s", f"{type(exc).__name__}: {exc}"[:300])
        return {}
    body = {
        "figures": [
            {"name": f.name, "title": f.title, "alt": f.alt, "svg": f.svg, "data": f.data}
            for f in figures
        ],
        "tables": tables,
        "importance": trained.importance.to_dict() if trained.importance else None,
    }
    log.info("report_drawn figures=%d seconds=%.2f", len(figures), time.monotonic() - began)
    return {FIGURES: dump(body), REPORT: html.encode()}


def profile_file(trained, log=logger):
    """{profile.json} for the version, or {} when the profile could not be built."""
    model = trained.model
    weights = trained.importance.weights() if trained.importance else None
    held = trained.held_out
    try:
        profile = build_profile(
            trained.reference,
            list(model.numeric_columns),
            list(model.categorical_columns),
            predictions=reference_predictions(held.predicted, held.classes),
            weights=weights,
        )
    except DRAWING_ERRORS as exc:
        log.warning("profile_skipped error=%s", f"{type(exc).__name__}: {exc}"[:300])
        return {}
    # What the run page draws beside a batch's predictions (the report's histogram format).
    profile[SHOWN_PREDICTIONS] = prediction_distribution(held.task, held.classes, held.predicted)
    return {PROFILE: dump(profile)}


def version_files(project, version, trained, created_at, log=logger):
    """Every attachment of the version: report figures, HTML report, drift profile."""
    return {
        **report_files(project, version, trained, created_at, log),
        **profile_file(trained, log),
    }
