"""JSON API: predict with a project's production model, and its prediction tokens
(docs/api.md, "Online prediction"; docs/serving.md)."""

from flask import current_app, g, jsonify, request
from flask_login import current_user

from controllers.access import require_role
from controllers.api_support import api_blueprint, field, json_body
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, workspace_id
from controllers.extensions import limiter
from entity.hashing import hash_token
from entity.workspace import role_allows
from exception_layer.errors import NotFound, PayloadTooLarge, PermissionDenied, Unauthorized
from project_library.serving import rows, tokens

bp = api_blueprint("serving_api", __name__)


def _rate_limit():
    return current_app.config["PREDICT_RATELIMIT"]


def _caller_key():
    """Rate limits count per token (or per address, for a request without one)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "token:" + hash_token(header[len("Bearer ") :].strip())
    return "addr:" + (request.remote_addr or "-")


def _caller_workspace(project_id):
    """The workspace the caller may predict in: a project token's, or an admin's."""
    token = g.get("prediction_token")
    if token is not None:
        return token.workspace_id
    if not current_user.is_authenticated:
        raise Unauthorized()
    if g.get("workspace") is None:
        raise NotFound("Project not found.")
    get_store().projects.get(g.workspace.id, project_id)  # 404 before 403
    if not role_allows(g.role, "admin"):
        raise PermissionDenied("Predicting needs the admin role here, or a prediction token.")
    return g.workspace.id


def _body():
    limit = current_app.config["PREDICT_MAX_BYTES"]
    too_large = PayloadTooLarge(
        f"A prediction request can be at most {limit / 1024 / 1024:.1f} MB; send fewer rows."
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    return raw


@bp.post("/projects/<project_id>/predict")
@limiter.limit(_rate_limit, key_func=_caller_key)
def predict(project_id):
    workspace = _caller_workspace(project_id)
    body = rows.parse_json(_body())
    return jsonify(current_app.extensions["serving"].predict(workspace, project_id, body))


@bp.post("/projects/<project_id>/prediction-tokens")
@require_role("admin")
def create_token(project_id):
    get_store().projects.get(workspace_id(), project_id)  # 404 before 400
    body = json_body()
    name, expires = field(body, "name", required=False), field(body, "expires", required=False)
    token, secret = tokens.create_token(
        get_store(), workspace_id(), project_id, actor(), name, expires
    )
    audit("prediction_token.create", target=target("prediction_token", token.id, token.name))
    return jsonify({**tokens.to_json(token), "token": secret}), 201


@bp.get("/projects/<project_id>/prediction-tokens")
@require_role("admin")
def list_tokens(project_id):
    found = tokens.project_tokens(get_store(), workspace_id(), project_id)
    return jsonify({"tokens": [tokens.to_json(t) for t in found]})


@bp.delete("/projects/<project_id>/prediction-tokens/<token_id>")
@require_role("admin")
def revoke_token(project_id, token_id):
    tokens.revoke_token(get_store(), workspace_id(), project_id, token_id)
    audit("prediction_token.revoke", target=target("prediction_token", token_id))
    return "", 204
