"""Write one audit event: who (``actor``), did what (``action``), to what (``target``), how it
went (``outcome``), from where (``request_info``), and for a change the fields before and
after it, with secrets removed."""

from entity.audit import stamp
from project_library.audit.redaction import redact

OUTCOMES = ("ok", "denied", "failed")
SYSTEM_ACTORS = ("scheduler", "watcher", "deletion")


def record(
    store,
    *,
    workspace_id,
    actor,
    action,
    target=None,
    outcome="ok",
    before=None,
    after=None,
    details=None,
    request_info=None,
):
    """Append an event to ``workspace_id``'s chain (None: the site chain of account events)
    and return it as stored.

    ``actor``: a user (an entity with ``id``, ``name``, ``email``), ``"token:<id>"``, a system
    actor (``"scheduler"``, ``"watcher"``, ``"deletion"``) or an actor dict. ``target``: a
    dict ``{type, id, name}`` (see ``target_of``). ``request_info``: ``client``,
    ``user_agent`` and ``request_id`` of a web request. A ``project_id`` in ``details`` (or a
    project target) is kept on the event so it can be filtered by project.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    details = redact(dict(details or {}))
    target = _target(target)
    event = {
        "time": stamp(),
        "workspace_id": workspace_id,
        "project_id": _project_id(target, details),
        "actor": actor_of(actor),
        "action": str(action),
        "target": target,
        "outcome": outcome,
        "client": _request_field(request_info, "client"),
        "user_agent": _request_field(request_info, "user_agent"),
        "request_id": _request_field(request_info, "request_id"),
        "before": redact(before) if before is not None else None,
        "after": redact(after) if after is not None else None,
        "details": details,
    }
    return store.audit.append(event)


def actor_of(actor):
    """The actor as recorded: a snapshot of the user, or a token, or a system actor."""
    if isinstance(actor, dict):
        return redact(actor)
    if isinstance(actor, str):
        if actor.startswith("token:"):
            return {"type": "token", "id": actor}
        return system_actor(actor)
    return {
        "type": "user",
        "id": str(actor.id),
        "name": getattr(actor, "name", ""),
        "email": getattr(actor, "email", ""),
    }


def system_actor(name):
    if name not in SYSTEM_ACTORS:
        raise ValueError(f"unknown system actor {name!r}; one of {SYSTEM_ACTORS}")
    return {"type": "system", "id": name}


def target_of(kind, thing=None, name=None):
    """A target ``{type, id, name}`` from an entity (its ``id`` and ``name``) or an id."""
    if thing is None or isinstance(thing, str | int):
        return {"type": kind, "id": None if thing is None else str(thing), "name": name}
    return {
        "type": kind,
        "id": str(getattr(thing, "id", "") or ""),
        "name": name or getattr(thing, "name", None),
    }


def _target(target):
    if target is None:
        return None
    return {
        "type": str(target.get("type") or ""),
        "id": None if target.get("id") is None else str(target["id"]),
        "name": target.get("name"),
    }


def _project_id(target, details):
    if target and target["type"] == "project":
        return target["id"]
    project_id = details.get("project_id")
    return str(project_id) if project_id else None


def _request_field(request_info, key):
    return (request_info or {}).get(key) or None
