"""Validation report pages, and restoring a fixed file from quarantine."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from controllers.access import require_role
from entity.db import get_db
from entity.project import ProjectRepository
from entity.validation import ValidationRepository
from exception_layer.errors import AppError
from project_library.projects import service

bp = Blueprint("validations", __name__, url_prefix="/validations")


@bp.get("/<validation_id>")
@require_role("viewer")
def report(validation_id):
    db = get_db()
    found = ValidationRepository(db).get(g.workspace.id, validation_id)
    project = ProjectRepository(db).get(g.workspace.id, found["project_id"])
    files = found.get("files", [])
    rejected_first = sorted(files, key=lambda f: (f["accepted"], f["name"].lower()))
    return render_template(
        "validations/report.html", report=found, project=project, files=rejected_first
    )


@bp.post("/<validation_id>/restore")
@require_role("admin")
def restore(validation_id):
    name = request.form.get("name", "")
    try:
        _, destination = service.restore(get_db(), g.workspace.id, validation_id, name)
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(f"“{name}” is back in the batch folder; validate again to check it.", "success")
    return redirect(url_for("validations.report", validation_id=validation_id))
