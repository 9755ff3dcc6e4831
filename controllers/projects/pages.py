"""Project pages: list, create, edit, import, sample, and "Validate now"."""

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for

from controllers.access import require_role
from controllers.audit.trail import audit, target
from controllers.context import actor, deletions, get_store, workspace_id
from controllers.page_cache import cached_page
from controllers.projects.common import TASK_LABELS, kind_or_404
from controllers.transfer import check_body_length, upload_limit
from entity import validators
from entity.project import (
    DEFAULT_METRIC,
    DEFAULT_MISSING_MARKERS,
    METRIC_LABELS,
    METRICS,
    SETTABLE_FIELDS,
    TASKS,
)
from exception_layer.errors import AppError, NotFound, ValidationError
from project_library.audit import changed, project_state
from project_library.deletion.requests import request_project_deletion
from project_library.projects import overview, service
from project_library.projects.setup import zip_source
from project_library.validation import service as validation
from project_library.validation.schema import parse_schema

bp = Blueprint("projects", __name__, url_prefix="/projects")

# The project fields the settings form edits (their types come from the Project declaration);
# an empty value of an optional one means "not set".
FORM_FIELDS = (
    "name",
    "description",
    "connection_id",
    "root",
    "task",
    "target",
    "ignore_columns",
    "id_columns",
    "metric",
    "missing_markers",
    "strict_headers",
    "notify_emails",
    "time_budget_s",
    "drift_action",
)
OPTIONAL_FIELDS = {"connection_id", "task", "target", "metric", "drift_action"}


@bp.app_context_processor
def project_labels():
    return {"TASK_LABELS": TASK_LABELS, "METRIC_LABELS": METRIC_LABELS}


def _split(text):
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def _form_values(form):
    values = {}
    for name in FORM_FIELDS:
        kind, raw = SETTABLE_FIELDS[name], form.get(name, "")
        if kind is list:
            values[name] = _split(raw)
        elif kind is bool:
            values[name] = bool(raw)
        elif kind is int:
            if raw.strip():
                values[name] = validators.whole_number(raw, "The time budget (seconds)")
        else:
            values[name] = raw.strip() or (None if name in OPTIONAL_FIELDS else "")
    if form.get("empty_is_missing"):
        values["missing_markers"].insert(0, "")
    task_metrics = METRICS.get(values["task"] or "", ())
    if values["metric"] and task_metrics and values["metric"] not in task_metrics:
        values["metric"] = DEFAULT_METRIC[values["task"]]
    return values


def _form_page(project=None, values=None, status=200):
    hints = {}
    if project is not None:
        hints = service.inferred_settings(project.training_schema, project.prediction_schema)
    columns = (
        parse_schema(project.training_schema).names if project and project.training_schema else []
    )
    return render_template(
        "projects/form.html",
        project=project,
        values=values or {},
        connections=service.connection_choices(get_store(), workspace_id()),
        tasks=TASKS,
        metrics=METRICS,
        default_metric=DEFAULT_METRIC,
        default_markers=DEFAULT_MISSING_MARKERS,
        hints=hints,
        columns=columns,
    ), status


@bp.get("")
@require_role("viewer")
def index():
    projects, latest = overview.projects_with_latest(get_store(), workspace_id())
    return render_template("projects/index.html", projects=projects, latest=latest)


@bp.get("/new")
@require_role("admin")
def new():
    return _form_page()


@bp.post("/new")
@require_role("admin")
def create():
    try:
        values = _form_values(request.form)
        project = service.create_project(get_store(), workspace_id(), values, actor().id)
    except AppError as error:
        flash(error.message, "error")
        return _form_page(values=request.form, status=error.status_code)
    audit("project.create", target=target("project", project), after=project_state(project))
    flash(f"Project “{project.name}” created; its folders are ready in storage.", "success")
    return redirect(url_for("project_schemas.schema", project_id=project.id, kind="training"))


@bp.post("/sample")
@require_role("admin")
def create_sample():
    project = service.create_sample(get_store(), workspace_id(), actor().id)
    audit("project.create", target=target("project", project), details={"sample": True})
    flash(
        f"Sample project “{project.name}” created with 5 training batches (one malformed) "
        "and a prediction batch. Press “Validate training batches” to see the checks.",
        "success",
    )
    return redirect(url_for("projects.detail", project_id=project.id))


def _import_page(values, status=200):
    connections = service.connection_choices(get_store(), workspace_id())
    return render_template(
        "projects/import.html", connections=connections, tasks=TASKS, values=values
    ), status


@bp.get("/import")
@require_role("admin")
def import_form():
    return _import_page({})


@bp.post("/import")
@require_role("admin")
def import_zip():
    check_body_length()  # a zip import follows the upload rules of any file, before parsing
    try:
        upload = request.files.get("archive")
        if upload is None or not upload.filename:
            raise ValidationError("Choose a zip file of the project folder.")
        project, summary = service.import_files(
            get_store(),
            workspace_id(),
            zip_source(upload.stream),
            name=request.form.get("name") or re.sub(r"\.zip$", "", upload.filename, flags=re.I),
            connection_id=request.form.get("connection_id") or None,
            target=request.form.get("target", "").strip() or None,
            task=request.form.get("task") or None,
            created_by=actor().id,
            max_file_bytes=upload_limit(),
        )
    except AppError as error:
        flash(error.message, "error")
        return _import_page(request.form, error.status_code)
    audit("project.create", target=target("project", project), details={"imported": summary})
    flash(
        f"Imported “{project.name}”: {summary['training_files']} training and "
        f"{summary['prediction_files']} prediction file(s).",
        "success",
    )
    return redirect(url_for("projects.detail", project_id=project.id))


# What the project page reads (its sections: runs, models, schedules, watcher, serving).
# It also shows file counts from storage: an upload or delete through the platform writes
# an audit event (so the next page is fresh), a change made in the bucket itself shows
# within the age bound, as do today's serving counts.
DETAIL_READS = (
    "audit_events",
    "projects",
    "connections",
    "validations",
    "runs",
    "model_versions",
    "model_promotions",
    "schedules",
    "watchers",
    "serving_stats",
    "api_tokens",
    "deletions",
)


@bp.get("/<project_id>")
@require_role("viewer")
@cached_page(*DETAIL_READS, max_age_s=1.0)
def detail(project_id):
    try:
        values = overview.project_overview(get_store(), workspace_id(), project_id)
    except NotFound as error:
        return _deleted_or_404(project_id, error)
    values["deletion"] = _deletion_of(values["project"])
    return render_template("projects/detail.html", **values)


@bp.get("/<project_id>/edit")
@require_role("admin")
def edit(project_id):
    return _form_page(get_store().projects.get(workspace_id(), project_id))


@bp.post("/<project_id>/edit")
@require_role("admin")
def update(project_id):
    project = get_store().projects.get(workspace_id(), project_id)
    try:
        values = _form_values(request.form)
        updated = service.update_project(get_store(), workspace_id(), project_id, values)
    except AppError as error:
        flash(error.message, "error")
        return _form_page(project, values=request.form, status=error.status_code)
    before, after = changed(project_state(project), project_state(updated))
    audit("project.update", target=target("project", updated), before=before, after=after)
    flash("Project saved.", "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.post("/<project_id>/delete")
@require_role("admin")
def delete(project_id):
    """Start the project's deletion (``files``: platform or all); its page shows how it goes."""
    get_store().projects.get(workspace_id(), project_id)  # 404 first
    try:
        deletion = deletions().begin(
            request_project_deletion, workspace_id(), project_id, request.form.get("files"), actor()
        )
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(f"Deleting “{deletion.target['name']}”: its files first, then its records.", "info")
    return redirect(url_for("projects.detail", project_id=project_id))


def _deleted_or_404(project_id, error):
    """A project whose deletion finished: say so on the projects list; else the 404."""
    done = get_store().deletions.latest_for(workspace_id(), "project", project_id)
    if done is None or done.state != "deleted":
        raise error
    counts = done.counts
    flash(
        f"Project “{done.target['name']}” deleted: {counts['objects']} files and "
        f"{counts['records']} records removed.",
        "success",
    )
    return redirect(url_for("projects.index"))


def _deletion_of(project):
    """The project's deletion job while one is under way (or has failed), else None."""
    if not project.deletion_id:
        return None
    try:
        return get_store().deletions.get(workspace_id(), project.deletion_id)
    except NotFound:
        return None


@bp.post("/<project_id>/validate/<kind>")
@require_role("admin")
def validate(project_id, kind):
    project = get_store().projects.get(workspace_id(), project_id)
    kind = kind_or_404(kind)
    try:
        report = validation.validate(get_store(), project, kind, actor().id)
    except AppError as error:
        audit("validation.run", target=target("project", project), outcome="failed")
        flash(error.message, "error")
        return redirect(url_for("projects.detail", project_id=project.id))
    audit("validation.run", target=target("validation", report["id"], kind), details={"kind": kind})
    return redirect(url_for("validations.report", validation_id=report["id"]))


def dashboard_panel(store, workspace):
    """The Overview's projects card."""
    return "projects/_dashboard_panel.html", overview.dashboard_card(store, workspace.id)
