"""JSON API for deletions (documented in docs/api.md): each DELETE answers 202 with the
deletion's job, which ``GET /api/v1/deletions/<id>`` follows until ``deleted``."""

from flask import jsonify, request
from flask_login import current_user

from controllers.access import require_login, require_role
from controllers.api_support import api_blueprint, field, json_body
from controllers.context import actor, deletions, get_store, workspace_id
from exception_layer.errors import NotFound, PermissionDenied
from project_library.deletion import requests

bp = api_blueprint("deletion_api", __name__)


def _accepted(deletion):
    return jsonify(deletion.to_dict()), 202


@bp.delete("/projects/<project_id>")
@require_role("admin")
def delete_project(project_id):
    get_store().projects.get(workspace_id(), project_id)  # 404 before 400
    files = request.args.get("files") or "platform"
    return _accepted(
        deletions().begin(
            requests.request_project_deletion, workspace_id(), project_id, files, actor()
        )
    )


@bp.delete("/projects/<project_id>/models/<version>")
@require_role("admin")
def delete_model_version(project_id, version):
    return _accepted(
        deletions().begin(
            requests.request_version_deletion, workspace_id(), project_id, version, actor()
        )
    )


@bp.delete("/runs/<run_id>")
@require_role("admin")
def delete_run(run_id):
    return _accepted(
        deletions().begin(requests.request_run_deletion, workspace_id(), run_id, actor())
    )


@bp.delete("/workspaces/<workspace_id>")
@require_login
def delete_workspace(workspace_id):
    """Only an owner, with ``{"confirm": "<the workspace's name>"}``; a workspace the caller
    is no member of is a 404."""
    membership = get_store().workspaces.membership(workspace_id, current_user.id)
    if membership is None:
        raise NotFound("That workspace does not exist.")
    if membership.role != "owner":
        raise PermissionDenied("Only an owner of the workspace can delete it.")
    confirm = field(json_body(), "confirm", kind=str)
    return _accepted(
        deletions().begin(requests.request_workspace_deletion, workspace_id, actor(), confirm)
    )


@bp.get("/deletions/<deletion_id>")
@require_role("viewer")
def get_deletion(deletion_id):
    return get_store().deletions.get(workspace_id(), deletion_id).to_dict()
