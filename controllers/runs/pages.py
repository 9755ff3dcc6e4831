"""Run pages: the runs list, a run's live page, Train/Predict buttons, cancel, downloads."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

import app as app_module
from controllers.access import can, require_role
from controllers.dashboard import PANELS
from controllers.runs.api import csv_response
from entity.db import get_db
from entity.run import RunRepository
from entity.validation import ValidationRepository
from exception_layer.errors import Conflict, NotFound
from integration import mail
from project_library.models import promotion as service
from project_library.training.metrics import GREATER_IS_BETTER, LABELS
from thread_layer.executors import build_executor
from thread_layer.runs import recover_runs

bp = Blueprint("runs", __name__)

STATUS_BADGE = {
    "queued": "info",
    "running": "accent",
    "succeeded": "ok",
    "failed": "bad",
    "cancelled": "muted",
    "interrupted": "warn",
}


def start_up(app):
    mail.init_app(app)
    app.extensions["run_executor"] = build_executor(app)
    recover_runs(app)


app_module.STARTUP_HOOKS.append(start_up)


def recent_runs_panel(workspace):
    runs = RunRepository(get_db()).list(workspace.id, limit=6)
    return ("runs/_dashboard_panel.html", {"runs": runs})


PANELS.append(recent_runs_panel)


@bp.app_context_processor
def run_helpers():
    def last_run(project):
        if not g.get("workspace") or not getattr(project, "id", None):
            return None
        return RunRepository(get_db()).latest(g.workspace.id, project.id)

    return {
        "last_run": last_run,
        "run_badge": STATUS_BADGE,
        "metric_labels": LABELS,
        "metric_higher_better": GREATER_IS_BETTER,
    }


@bp.get("/runs")
@require_role("viewer")
def index():
    project_id = request.args.get("project") or None
    runs = service.runs().list(g.workspace.id, project_id)
    return render_template(
        "runs/index.html",
        runs=runs,
        names=service.project_names(g.workspace.id),
        project_id=project_id,
    )


@bp.post("/projects/<project_id>/runs")
@require_role("admin")
def start(project_id):
    kind = request.form.get("kind", "")
    try:
        run = service.start_run(
            current_app._get_current_object(), g.workspace.id, project_id, kind, current_user
        )
    except Conflict as exc:
        flash(exc.message, "warning")
        return redirect(request.referrer or url_for("runs.index"))
    return redirect(url_for("runs.detail", run_id=run.id))


@bp.get("/runs/<run_id>")
@require_role("viewer")
def detail(run_id):
    run = service.get_run(g.workspace.id, run_id)
    names = service.project_names(g.workspace.id)
    validation = None
    if run.validation_id:
        try:
            validation = ValidationRepository(get_db()).get(g.workspace.id, run.validation_id)
        except NotFound:
            validation = None
    model = None
    if run.kind == "train" and run.model_version:
        from entity.model_version import ModelVersionRepository

        try:
            model = ModelVersionRepository(get_db()).get(
                g.workspace.id, run.project_id, run.model_version
            )
        except NotFound:
            model = None
    return render_template(
        "runs/detail.html",
        run=run,
        project_name=names.get(run.project_id),
        validation=validation,
        model=model,
        show_traceback=can("admin"),
    )


@bp.post("/runs/<run_id>/cancel")
@require_role("admin")
def cancel(run_id):
    try:
        service.cancel_run(current_app._get_current_object(), g.workspace.id, run_id)
        flash("Cancel requested: the run stops at its next step.", "info")
    except Conflict as exc:
        flash(exc.message, "warning")
    return redirect(url_for("runs.detail", run_id=run_id))


@bp.get("/runs/<run_id>/predictions.csv")
@require_role("viewer")
def predictions(run_id):
    name, stream = service.open_predictions(g.workspace.id, run_id)
    return csv_response(name, stream)
