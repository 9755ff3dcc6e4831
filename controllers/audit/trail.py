"""Record audit events from a view: the actor, workspace and client come from the request.

A view calls ``audit("project.update", target=..., before=..., after=...)`` after its use
case succeeded; ``record_denied`` (an ``after_request`` hook) records every 403 in one place.
"""

from flask import g, request
from flask_login import current_user

from controllers.context import get_store
from project_library import audit as audit_log

MAX_USER_AGENT = 300


def audit(action, *, target=None, before=None, after=None, outcome="ok", details=None, **over):
    """Record ``action`` by this request's actor in its workspace; return the stored event.

    ``over`` may set ``actor`` (e.g. the person a failed sign-in named) or ``workspace_id``
    (an event about another workspace than the open one; None: the site chain).
    """
    project_id = (request.view_args or {}).get("project_id")
    details = {**({"project_id": project_id} if project_id else {}), **(details or {})}
    return audit_log.record(
        get_store(),
        workspace_id=over.get("workspace_id", current_workspace_id()),
        actor=over.get("actor") or request_actor(),
        action=action,
        target=target,
        outcome=outcome,
        before=before,
        after=after,
        details=details,
        request_info=request_info(),
    )


def target(kind, thing=None, name=None):
    """``{type, id, name}`` of an entity or an id (shorthand for views)."""
    return audit_log.target_of(kind, thing, name)


def run_target(run):
    """The ``target`` and ``details`` of an event about a run (its project, for filtering)."""
    return {
        "target": target("run", run.id, run.kind),
        "details": {"project_id": run.project_id, "kind": run.kind},
    }


def model_target(project_id, version):
    return target("model", f"{project_id}:v{version}", f"v{version}")


def current_workspace_id():
    return g.workspace.id if g.get("workspace") is not None else None


def request_actor():
    """Who acts: the API token (with its user), the signed-in user, or nobody yet."""
    prediction_token = g.get("prediction_token")
    if prediction_token is not None:
        return {"type": "token", "id": f"token:{prediction_token.id}"}
    if not current_user.is_authenticated:
        return {"type": "anonymous", "id": None}
    user = audit_log.actor_of(current_user._get_current_object())
    if g.get("token_id"):
        return {**user, "type": "token", "id": f"token:{g.token_id}", "user_id": user["id"]}
    return user


def request_info():
    return {
        "client": request.remote_addr,
        "user_agent": request.user_agent.string[:MAX_USER_AGENT],
        "request_id": g.get("request_id"),
    }


def record_denied(response):
    """After every request: a 403 is an ``access.denied`` event on the route it asked for."""
    if response.status_code == 403 and request.endpoint != "static":
        audit(
            "access.denied",
            target=target("route", request.endpoint, f"{request.method} {request.path}"),
            outcome="denied",
        )
    return response
