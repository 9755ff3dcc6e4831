"""Project pages: list, create, edit, schemas, import, sample, and "Validate now"."""

import re

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from controllers.access import require_role
from entity.db import get_db
from entity.project import (
    DEFAULT_METRIC,
    DEFAULT_MISSING_MARKERS,
    METRIC_LABELS,
    METRICS,
    TASKS,
    ProjectRepository,
)
from entity.validation import ValidationRepository
from exception_layer.errors import AppError, NotFound, ValidationError
from integration.layout import PROJECT_FOLDERS, project_path
from project_library.projects import service
from project_library.projects.setup import zip_source
from project_library.validation.batches import batch_folder
from project_library.validation.schema import (
    parse_schema,
)

bp = Blueprint("projects", __name__, url_prefix="/projects")

TASK_LABELS = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
}
SAMPLE_BYTES = 2 * 1024 * 1024


@bp.app_context_processor
def project_labels():
    return {"TASK_LABELS": TASK_LABELS, "METRIC_LABELS": METRIC_LABELS}


def _split(text):
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def kind_or_404(kind):
    if kind not in service.KINDS:
        raise NotFound("Batches and schemas are 'training' or 'prediction'.")
    return kind


def _form_values(form):
    markers = _split(form.get("missing_markers"))
    if form.get("empty_is_missing"):
        markers.insert(0, "")
    budget = form.get("time_budget_s", "").strip()
    values = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "connection_id": form.get("connection_id") or None,
        "root": form.get("root", "").strip(),
        "task": form.get("task") or None,
        "target": form.get("target", "").strip() or None,
        "ignore_columns": _split(form.get("ignore_columns")),
        "id_columns": _split(form.get("id_columns")),
        "metric": form.get("metric") or None,
        "missing_markers": markers,
        "strict_headers": bool(form.get("strict_headers")),
        "notify_emails": _split(form.get("notify_emails")),
    }
    if budget:
        if not budget.isdigit():
            raise ValidationError("The time budget is a whole number of seconds.")
        values["time_budget_s"] = int(budget)
    task_metrics = METRICS.get(values["task"] or "", ())
    if values["metric"] and task_metrics and values["metric"] not in task_metrics:
        values["metric"] = DEFAULT_METRIC[values["task"]]
    return values


def _form_page(project=None, values=None, status=200):
    db = get_db()
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
        connections=service.connection_choices(db, g.workspace.id),
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
    db = get_db()
    projects = ProjectRepository(db).list(g.workspace.id)
    reports = ValidationRepository(db)
    latest = {
        p.id: {kind: reports.latest(g.workspace.id, p.id, kind) for kind in service.KINDS}
        for p in projects
    }
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
        project = service.create_project(get_db(), g.workspace.id, values, current_user.id)
    except AppError as error:
        flash(error.message, "error")
        return _form_page(values=request.form, status=error.status_code)
    flash(f"Project “{project.name}” created; its folders are ready in storage.", "success")
    return redirect(url_for("projects.schema", project_id=project.id, kind="training"))


@bp.post("/sample")
@require_role("admin")
def create_sample():
    project = service.create_sample(get_db(), g.workspace.id, current_user.id)
    flash(
        f"Sample project “{project.name}” created with 5 training batches (one malformed) "
        "and a prediction batch. Press “Validate training batches” to see the checks.",
        "success",
    )
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.get("/import")
@require_role("admin")
def import_form():
    connections = service.connection_choices(get_db(), g.workspace.id)
    return render_template("projects/import.html", connections=connections, tasks=TASKS, values={})


@bp.post("/import")
@require_role("admin")
def import_zip():
    upload = request.files.get("archive")
    try:
        if upload is None or not upload.filename:
            raise ValidationError("Choose a zip file of the project folder.")
        project, summary = service.import_files(
            get_db(),
            g.workspace.id,
            zip_source(upload.stream),
            name=request.form.get("name") or re.sub(r"\.zip$", "", upload.filename, flags=re.I),
            connection_id=request.form.get("connection_id") or None,
            target=request.form.get("target", "").strip() or None,
            task=request.form.get("task") or None,
            created_by=current_user.id,
        )
    except AppError as error:
        flash(error.message, "error")
        connections = service.connection_choices(get_db(), g.workspace.id)
        return render_template(
            "projects/import.html", connections=connections, tasks=TASKS, values=request.form
        ), error.status_code
    flash(
        f"Imported “{project.name}”: {summary['training_files']} training and "
        f"{summary['prediction_files']} prediction file(s).",
        "success",
    )
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.get("/<project_id>")
@require_role("viewer")
def detail(project_id):
    db = get_db()
    project = ProjectRepository(db).get(g.workspace.id, project_id)
    schemas = {}
    for kind in service.KINDS:
        classic = getattr(project, f"{kind}_schema")
        schemas[kind] = parse_schema(classic) if classic else None
    counts = _batch_counts(db, project)
    validations = ValidationRepository(db).list_for_project(g.workspace.id, project.id)
    hints = service.inferred_settings(project.training_schema, project.prediction_schema)
    folders = [(name, project_path(project.root, name)) for name in PROJECT_FOLDERS]
    return render_template(
        "projects/detail.html",
        project=project,
        schemas=schemas,
        counts=counts,
        validations=validations,
        hints=hints,
        folders=folders,
        connection_name=dict(service.connection_choices(db, g.workspace.id)).get(
            project.connection_id, "—"
        ),
    )


def _batch_counts(db, project):
    counts = {}
    try:
        storage = service.storage_of(db, project)
        for kind in service.KINDS:
            folder = batch_folder(project, kind)
            counts[kind] = len(storage.list(folder).files) if storage.exists(folder) else 0
    except AppError as error:
        current_app.logger.warning("batch_count_failed project=%s code=%s", project.id, error.code)
        return {kind: None for kind in service.KINDS}
    return counts


@bp.get("/<project_id>/edit")
@require_role("admin")
def edit(project_id):
    project = ProjectRepository(get_db()).get(g.workspace.id, project_id)
    return _form_page(project)


@bp.post("/<project_id>/edit")
@require_role("admin")
def update(project_id):
    project = ProjectRepository(get_db()).get(g.workspace.id, project_id)
    try:
        values = _form_values(request.form)
        project = service.update_project(get_db(), g.workspace.id, project_id, values)
    except AppError as error:
        flash(error.message, "error")
        return _form_page(project, values=request.form, status=error.status_code)
    flash("Project saved.", "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.post("/<project_id>/delete")
@require_role("admin")
def delete(project_id):
    project = ProjectRepository(get_db()).get(g.workspace.id, project_id)
    service.delete_project(get_db(), g.workspace.id, project_id)
    flash(f"Project “{project.name}” deleted. Its files are still in storage.", "success")
    return redirect(url_for("projects.index"))


@bp.post("/<project_id>/validate/<kind>")
@require_role("admin")
def validate(project_id, kind):
    project = ProjectRepository(get_db()).get(g.workspace.id, project_id)
    kind = kind_or_404(kind)
    try:
        report = service.validate(get_db(), project, kind, current_user.id)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("projects.detail", project_id=project.id))
    return redirect(url_for("validations.report", validation_id=report["id"]))


def dashboard_panel(workspace):
    """The Overview's projects card: each project with its latest validation."""
    if workspace is None:
        return None
    db = get_db()
    projects = ProjectRepository(db).list(workspace.id)
    recent = ValidationRepository(db).recent(workspace.id, limit=100)
    latest = {}
    for report in recent:
        latest.setdefault(report["project_id"], report)
    return "projects/_dashboard_panel.html", {
        "projects": projects[:8],
        "latest": latest,
        "total": len(projects),
    }


def _register_panel():
    from controllers.dashboard import PANELS

    if dashboard_panel not in PANELS:
        PANELS.append(dashboard_panel)


_register_panel()


# The schema pages register their routes on ``bp``.
from controllers.projects import schemas as projects_schemas  # noqa: E402,F401
