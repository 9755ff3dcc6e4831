"""Validation report pages, and restoring a fixed file from quarantine."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from controllers.access import require_role
from controllers.audit.trail import audit, target
from controllers.context import get_store, workspace_id
from exception_layer.errors import AppError
from project_library.validation import service as validation

bp = Blueprint("validations", __name__, url_prefix="/validations")


@bp.get("/<validation_id>")
@require_role("viewer")
def report(validation_id):
    found, project, rejected_first = validation.report_with_project(
        get_store(), workspace_id(), validation_id
    )
    return render_template(
        "validations/report.html", report=found, project=project, files=rejected_first
    )


@bp.post("/<validation_id>/restore")
@require_role("admin")
def restore(validation_id):
    name = request.form.get("name", "")
    try:
        _, destination = validation.restore(get_store(), workspace_id(), validation_id, name)
    except AppError as error:
        flash(error.message, "error")
    else:
        audit(
            "file.move",
            target=target("file", destination, name),
            details={"restored_from": validation_id},
        )
        flash(f"“{name}” is back in the batch folder; validate again to check it.", "success")
    return redirect(url_for("validations.report", validation_id=validation_id))
