"""Schema pages of a project: the table editor, upload or paste, a proposal from a sample
CSV, and export (under /projects/<id>/schemas/)."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from controllers.access import require_role
from controllers.audit.trail import audit, target
from controllers.context import get_store, workspace_id
from controllers.projects.common import SAMPLE_BYTES, TASK_LABELS, kind_or_404
from entity import validators
from exception_layer.errors import AppError, ValidationError
from project_library.projects import service
from project_library.validation.samples import propose_schema
from project_library.validation.schema import (
    CLASSIC_TYPE,
    MAX_SCHEMA_BYTES,
    MAX_STAMP_DIGITS,
    SchemaError,
    parse_schema,
    schema_from_columns,
)

bp = Blueprint("project_schemas", __name__, url_prefix="/projects")


def _schema_page(project, kind, schema=None, proposal=None, pasted="", status=200):
    if schema is None:
        classic = getattr(project, f"{kind}_schema")
        schema = parse_schema(classic) if classic else None
    hints = service.inferred_settings(project.training_schema, project.prediction_schema)
    return render_template(
        "projects/schema.html",
        project=project,
        kind=kind,
        schema=schema,
        proposal=proposal,
        pasted=pasted,
        hints=hints,
        types=list(CLASSIC_TYPE),
    ), status


@bp.get("/<project_id>/schemas/<kind>")
@require_role("viewer")
def schema(project_id, kind):
    project = get_store().projects.get(workspace_id(), project_id)
    return _schema_page(project, kind_or_404(kind))


@bp.post("/<project_id>/schemas/<kind>")
@require_role("admin")
def save_schema(project_id, kind):
    project = get_store().projects.get(workspace_id(), project_id)
    kind = kind_or_404(kind)
    mode = request.form.get("mode", "table")
    pasted = ""
    try:
        if mode == "upload":
            upload = request.files.get("schema_file")
            if upload is None or not upload.filename:
                raise ValidationError("Choose a schema JSON file to upload.")
            source = upload.read(MAX_SCHEMA_BYTES + 1)  # more: parse_schema's clear 413
        elif mode == "paste":
            pasted = source = request.form.get("schema_text", "")
            if not source.strip():
                raise ValidationError("Paste the schema JSON first.")
        else:
            source = _schema_from_table(request.form).to_classic()
        project, hints = service.save_schema(get_store(), workspace_id(), project_id, kind, source)
    except SchemaError as error:
        for problem in error.problems:
            flash(problem, "error")
        return _schema_page(project, kind, pasted=pasted, status=400)
    except AppError as error:
        flash(error.message, "error")
        return _schema_page(project, kind, pasted=pasted, status=error.status_code)
    audit("schema.update", target=target("project", project), details={"kind": kind, "mode": mode})
    saved = parse_schema(getattr(project, f"{kind}_schema"))
    message = f"The {kind} schema is saved ({len(saved.columns)} columns)."
    if hints.get("target"):
        message += f" Target: “{hints['target']}”"
        if hints.get("task"):
            message += f", task inferred: {TASK_LABELS[hints['task']].lower()}"
        message += "."
    flash(message, "success")
    return redirect(url_for("project_schemas.schema", project_id=project.id, kind=kind))


def _schema_from_table(form):
    names = form.getlist("col_name")
    types = form.getlist("col_type")
    positions = form.getlist("col_position")
    rows = [
        {"name": n, "type": t, "position": p}
        for n, t, p in zip(names, types, positions, strict=False)
    ]
    date_length = validators.whole_number(
        form.get("date_length", "8"), "The date stamp length", high=MAX_STAMP_DIGITS
    )
    time_length = validators.whole_number(
        form.get("time_length", "6"), "The time stamp length", high=MAX_STAMP_DIGITS
    )
    sample = form.get("sample_file_name", "").strip()
    if not sample:
        raise ValidationError("Give a sample file name, e.g. sales_01012024_120000.csv.")
    if not any(r["name"].strip() for r in rows):
        raise ValidationError("A schema needs at least one column.")
    return schema_from_columns(sample, date_length, time_length, rows)


@bp.post("/<project_id>/schemas/<kind>/propose")
@require_role("admin")
def propose(project_id, kind):
    project = get_store().projects.get(workspace_id(), project_id)
    kind = kind_or_404(kind)
    upload = request.files.get("sample_file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError("Choose a sample CSV file.")
        proposal, values = propose_schema(
            upload.read(SAMPLE_BYTES), upload.filename, project.missing_markers
        )
    except AppError as error:
        flash(error.message, "error")
        return _schema_page(project, kind, status=error.status_code)
    flash(
        f"Proposed {len(proposal.columns)} columns from {upload.filename}. Check the types, "
        "then save.",
        "info",
    )
    return _schema_page(project, kind, schema=proposal, proposal=values)


@bp.get("/<project_id>/schemas/<kind>/export")
@require_role("viewer")
def export_schema(project_id, kind):
    project = get_store().projects.get(workspace_id(), project_id)
    text = service.export_schema(project, kind_or_404(kind))
    if text is None:
        flash(f"There is no {kind} schema to export yet.", "error")
        return redirect(url_for("project_schemas.schema", project_id=project.id, kind=kind))
    return Response(
        text,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="schema_{kind}.json"'},
    )
