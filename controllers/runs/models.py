"""Model version pages: versions with metrics and lineage, production marker, promote/roll back."""

from flask import Blueprint, flash, redirect, render_template, url_for

from controllers.access import require_role
from controllers.context import actor, get_store, secret, workspace_id
from exception_layer.errors import Conflict
from project_library.models import promotion as service

bp = Blueprint("models", __name__)


@bp.get("/projects/<project_id>/models")
@require_role("viewer")
def index(project_id):
    project, versions = service.list_models(get_store(), workspace_id(), project_id)
    history = service.promotion_history(get_store(), workspace_id(), project.id)
    return render_template("models/index.html", project=project, versions=versions, history=history)


@bp.post("/projects/<project_id>/models/<int:version>/promote")
@require_role("admin")
def promote(project_id, version):
    record = service.promote(get_store(), secret(), workspace_id(), project_id, version, actor())
    flash(f"Model v{record.version} is now in production.", "success")
    return redirect(url_for("models.index", project_id=project_id))


@bp.post("/projects/<project_id>/models/rollback")
@require_role("admin")
def rollback(project_id):
    try:
        record = service.rollback(get_store(), secret(), workspace_id(), project_id, actor())
        flash(f"Rolled back: model v{record.version} is in production again.", "success")
    except Conflict as exc:
        flash(exc.message, "warning")
    return redirect(url_for("models.index", project_id=project_id))
