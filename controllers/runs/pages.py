"""Run pages: the runs list, a run's live page, Train/Predict buttons, cancel, downloads."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from controllers.access import can, require_role
from controllers.audit.trail import audit, run_target
from controllers.context import actor, executor, get_store, workspace_id
from controllers.transfer import csv_response
from entity.run import TRIGGERS
from exception_layer.errors import Conflict
from project_library.prediction import review
from project_library.training.metrics import GREATER_IS_BETTER, LABELS
from thread_layer import runs as service

bp = Blueprint("runs", __name__)

STATUS_BADGE = {
    "queued": "info",
    "running": "accent",
    "succeeded": "ok",
    "failed": "bad",
    "cancelled": "muted",
    "interrupted": "warn",
    "skipped": "muted",
    "missed": "warn",
    "needs_review": "warn",
    "discarded": "muted",
}


def recent_runs_panel(store, workspace):
    """The Overview's card of the workspace's latest runs."""
    return "runs/_dashboard_panel.html", {"runs": store.runs.list(workspace.id, limit=6)}


@bp.app_context_processor
def run_helpers():
    def last_run(project):
        if not g.get("workspace") or not getattr(project, "id", None):
            return None
        return get_store().runs.latest(workspace_id(), project.id)

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
    trigger = request.args.get("trigger") or None
    runs, names = service.list_runs(get_store(), workspace_id(), project_id, trigger)
    return render_template(
        "runs/index.html",
        runs=runs,
        names=names,
        project_id=project_id,
        trigger=trigger,
        triggers=TRIGGERS,
    )


@bp.post("/projects/<project_id>/runs")
@require_role("admin")
def start(project_id):
    kind = request.form.get("kind", "")
    files = request.form.get("files") or None
    try:
        run = service.start_run(
            get_store(), executor(), workspace_id(), project_id, kind, actor(), files=files
        )
    except Conflict as exc:
        audit("run.start", outcome="failed", details={"kind": kind, "reason": exc.message})
        flash(exc.message, "warning")
        return redirect(request.referrer or url_for("runs.index"))
    audit("run.start", **run_target(run))
    return redirect(url_for("runs.detail", run_id=run.id))


@bp.get("/runs/<run_id>")
@require_role("viewer")
def detail(run_id):
    values = service.run_overview(get_store(), workspace_id(), run_id)
    return render_template("runs/detail.html", show_error=can("admin"), **values)


@bp.post("/runs/<run_id>/cancel")
@require_role("admin")
def cancel(run_id):
    try:
        run = service.cancel_run(get_store(), workspace_id(), run_id)
        audit("run.cancel", **run_target(run))
        flash("Cancel requested: the run stops at its next step.", "info")
    except Conflict as exc:
        flash(exc.message, "warning")
    return redirect(url_for("runs.detail", run_id=run_id))


@bp.post("/runs/<run_id>/review")
@require_role("admin")
def decide(run_id):
    decision = request.form.get("decision", "")
    try:
        run = review.decide(get_store(), workspace_id(), run_id, decision, actor())
        audit("run.review", **run_target(run), after={"decision": decision, "status": run.status})
        words = "released into the predictions folder" if run.status == "succeeded" else "discarded"
        flash(f"The held predictions were {words}.", "success")
    except Conflict as exc:
        flash(exc.message, "warning")
    return redirect(url_for("runs.detail", run_id=run_id))


@bp.get("/runs/<run_id>/predictions.csv")
@require_role("viewer")
def predictions(run_id):
    download = service.open_predictions(get_store(), workspace_id(), run_id)
    audit("run.predictions_download", **run_target(get_store().runs.get(workspace_id(), run_id)))
    return csv_response(*download)
