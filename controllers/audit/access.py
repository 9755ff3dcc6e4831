"""Who may read which audit trail: a workspace's owners read theirs; site admins read any
workspace's, every workspace's at once, and the site chain of account events."""

from flask import g
from flask_login import current_user

from exception_layer.errors import NotFound, PermissionDenied
from project_library.audit import ALL

SITE = "site"  # the chain of account events (sign-ins, tokens), for site admins


def readable_chain(wanted):
    """The chain key ``query`` takes for ``wanted`` (a workspace id, ``ALL``, ``SITE`` or
    empty for the open workspace); another workspace's id is a 404, a non-owner a 403."""
    if current_user.is_site_admin:
        if wanted == SITE:
            return None
        if wanted in (ALL, None, "") and g.get("workspace") is None:
            return ALL
        return wanted or g.workspace.id
    workspace_id = wanted or (g.workspace.id if g.get("workspace") else None)
    role = next((r for w, r in g.get("my_workspaces", []) if w.id == workspace_id), None)
    if role is None:
        raise NotFound("That workspace does not exist.")
    if role != "owner":
        raise PermissionDenied(f"Only the workspace's owners read its audit log; yours is {role}.")
    return workspace_id
