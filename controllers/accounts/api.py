"""JSON API: tokens, the caller, their workspaces. Other areas add their own api blueprints."""

from flask import g, jsonify
from flask_login import current_user

from controllers.access import require_login
from controllers.api_support import api_blueprint, field, json_body
from controllers.audit.trail import audit, target
from controllers.context import get_store, workspace_id
from controllers.extensions import limiter
from project_library.accounts import service as accounts

bp = api_blueprint("api", __name__)


def _signin_limit():
    from flask import current_app

    return current_app.config["RATELIMIT_SIGNIN"]


@bp.post("/tokens")
@limiter.limit(_signin_limit)
def create_token():
    body = json_body()
    email, password = field(body, "email"), field(body, "password")
    token, secret = accounts.token_for_credentials(
        get_store(),
        email,
        password,
        field(body, "name", required=False) or "API",
        field(body, "expires", required=False),
    )
    owner = {"type": "user", "id": token.user_id, "email": email}
    audit(
        "token.create", target=target("token", token.id, token.name), actor=owner, workspace_id=None
    )
    return jsonify({**token.to_dict(), "token": secret}), 201


@bp.get("/tokens")
@require_login
def list_tokens():
    """The caller's personal tokens, with when each was last used and when it expires."""
    tokens = accounts.user_tokens(get_store(), current_user)
    return jsonify({"tokens": [token.to_dict() for token in tokens]})


@bp.get("/me")
@require_login
def me():
    return jsonify(
        {
            "id": current_user.id,
            "email": current_user.email,
            "display_name": current_user.display_name,
            "is_site_admin": current_user.is_site_admin,
            "workspace": {"id": workspace_id(), "name": g.workspace.name, "role": g.role}
            if g.get("workspace")
            else None,
        }
    )


@bp.get("/workspaces")
@require_login
def workspaces():
    mine = get_store().workspaces.for_user(current_user.id)
    return jsonify(
        [{"id": w.id, "name": w.name, "personal": w.personal, "role": role} for w, role in mine]
    )
