"""Who is asking, in which workspace, with which role: loaded once per request.

Pages authenticate with the session cookie; ``/api/v1`` also accepts
``Authorization: Bearer <token>``. The current workspace is the one the user switched to
(pages) or the ``X-Workspace`` header (API), and every role check reads ``g.role``.
"""

from functools import wraps

from flask import g, request
from flask_login import current_user

from controllers.context import get_store
from controllers.extensions import login_manager
from entity.workspace import role_allows
from exception_layer.errors import NotFound, PermissionDenied, Unauthorized


@login_manager.user_loader
def load_user(user_id):
    try:
        user = get_store().users.get_cached(user_id)
    except NotFound:
        return None
    return user if user.is_active else None


PREDICT_ENDPOINT = "serving_api.predict"
# Endpoints a client calls again and again, whose token lookup goes through the access cache
# (a revoked token stops at once in this process, and in the others as soon as their change
# feed sees it, within ``access_cache.TTL_S`` when none is open).
CACHED_TOKEN_ENDPOINTS = frozenset({PREDICT_ENDPOINT, "runs_api.run_logs"})


def authenticate_bearer():
    """On /api/, a bearer token decides who asks, whatever cookie comes along.

    A project prediction token opens its project's prediction endpoint and nothing else; an
    expired token is a 401 saying so (a token without an expiry never expires).
    """
    header = request.headers.get("Authorization", "")
    if not request.path.startswith("/api/") or not header:
        return
    token = None
    if header.startswith("Bearer "):
        token = get_store().tokens.lookup(
            header[len("Bearer ") :].strip(), cached=request.endpoint in CACHED_TOKEN_ENDPOINTS
        )
    if token is not None and token.expired():
        raise Unauthorized(
            f"The access token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; create a new one.",
            code="token_expired",
        )
    if token is not None and token.scoped:
        own = (request.view_args or {}).get("project_id") == token.project_id
        if request.endpoint != PREDICT_ENDPOINT or not own:
            raise PermissionDenied(
                "A project prediction token can only call POST "
                "/api/v1/projects/<its project>/predict.",
                code="token_scope",
            )
        g.prediction_token = token
        g.token_auth = True
        return
    user = load_user(token.user_id) if token else None
    if user is None:
        raise Unauthorized(
            "The access token is not valid; it may have been revoked.", code="invalid_token"
        )
    g._login_user = user  # flask-login's per-request user; the session is left untouched
    g.token_auth = True
    g.token_id = token.id


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        raise Unauthorized()
    from flask import flash, redirect, url_for

    flash("Sign in to continue.", "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def load_tenant():
    """Set g.user_id, g.workspace and g.role for a signed-in user."""
    g.workspace, g.role = None, None
    authenticate_bearer()
    if not current_user.is_authenticated:
        return
    g.user_id = current_user.id
    mine = get_store().workspaces.for_user_cached(current_user.id)
    g.my_workspaces = mine
    if not mine:
        return
    header = request.headers.get("X-Workspace") if request.path.startswith("/api/") else None
    wanted = header or current_user.current_workspace_id
    chosen = next(((w, role) for w, role in mine if w.id == wanted), None)
    if chosen is None and header:
        raise NotFound("That workspace does not exist.")
    if chosen is None:  # removed from the workspace they had open: fall back to the first
        chosen = mine[0]
        get_store().users.update(current_user.id, current_workspace_id=chosen[0].id)
    g.workspace, g.role = chosen


def require_role(role="viewer"):
    """Allow the view to users whose role in the current workspace is at least ``role``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if g.get("workspace") is None:
                raise NotFound("You are not a member of any workspace.")
            if not role_allows(g.role, role):
                raise PermissionDenied(
                    f"This needs the {role} role in this workspace; yours is {g.role}."
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_login(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped


def require_site_admin(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_site_admin:
            raise PermissionDenied("Only site administrators can do that.")
        return view(*args, **kwargs)

    return wrapped


def can(role):
    """For templates: does the current user have at least ``role`` here?"""
    return bool(g.get("role")) and role_allows(g.role, role)
