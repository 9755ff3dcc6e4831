"""The Delete buttons of the model version, run and workspace pages (the project's danger
zone posts to ``projects.delete``). Each starts the deletion's job and says so."""

from flask import Blueprint, flash, redirect, request, url_for

from controllers.access import require_role
from controllers.context import actor, deletions, get_store, workspace_id
from exception_layer.errors import AppError
from project_library.deletion import requests

bp = Blueprint("deletion", __name__)


def _started(request_function, *args):
    """Start the deletion; flash what happens (or why it cannot), return the job or None."""
    try:
        deletion = deletions().begin(request_function, *args)
    except AppError as error:
        flash(error.message, "error")
        return None
    flash(f"Deleting {deletion.target['name']}: its files first, then its records.", "info")
    return deletion


@bp.post("/projects/<project_id>/models/<int:version>/delete")
@require_role("admin")
def delete_model_version(project_id, version):
    get_store().projects.get(workspace_id(), project_id)  # 404 first
    _started(requests.request_version_deletion, workspace_id(), project_id, version, actor())
    return redirect(url_for("models.index", project_id=project_id))


@bp.post("/runs/<run_id>/delete")
@require_role("admin")
def delete_run(run_id):
    run = get_store().runs.get(workspace_id(), run_id)  # 404 first
    if _started(requests.request_run_deletion, workspace_id(), run_id, actor()) is None:
        return redirect(url_for("runs.detail", run_id=run.id))
    return redirect(url_for("runs.index"))


@bp.post("/workspace/delete")
@require_role("owner")
def delete_workspace():
    confirm = request.form.get("confirm", "")
    if _started(requests.request_workspace_deletion, workspace_id(), actor(), confirm) is None:
        return redirect(url_for("workspaces.settings"))
    return redirect(url_for("dashboard.index"))
