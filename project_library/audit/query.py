"""Read the audit trail back: filters from the page or the API, pages of events."""

import re
from datetime import UTC, datetime, time, timedelta

from exception_layer.errors import ValidationError

ALL = "*"  # every workspace (site admins)
PAGE_SIZE = 50
FILTERS = ("actor", "action", "project", "outcome", "date_from", "date_to")


def criteria(workspace_id, filters):
    """The MongoDB filter of a workspace (``ALL``: every one) and the given filters.

    ``actor`` matches an actor's id, email or name (exactly, ignoring case); ``action`` a
    whole action or, without a dot, an area (``project`` finds ``project.update``);
    ``date_from`` and ``date_to`` are days (``YYYY-MM-DD``, both included).
    """
    filters = {k: (v or "").strip() for k, v in (filters or {}).items() if k in FILTERS}
    found = {} if workspace_id == ALL else {"workspace_id": workspace_id}
    if filters.get("actor"):
        exact = {"$regex": f"^{re.escape(filters['actor'])}$", "$options": "i"}
        found["$or"] = [
            {"actor.id": filters["actor"]},
            {"actor.email": exact},
            {"actor.name": exact},
        ]
    if filters.get("action"):
        action = filters["action"]
        found["action"] = action if "." in action else {"$regex": f"^{re.escape(action)}\\."}
    if filters.get("project"):
        found["project_id"] = filters["project"]
    if filters.get("outcome"):
        found["outcome"] = filters["outcome"]
    span = _span(filters.get("date_from"), filters.get("date_to"))
    if span:
        found["time"] = span
    return found


def query(store, workspace_id, filters=None, page=1, page_size=PAGE_SIZE):
    """One page of events (newest first), with the totals a pager needs."""
    found = criteria(workspace_id, filters)
    total = store.audit.count(found)
    pages = max(1, -(-total // page_size))
    page = min(max(1, int(page or 1)), pages)
    events = list(store.audit.find(found, skip=(page - 1) * page_size, limit=page_size))
    return {
        "events": events,
        "page": page,
        "pages": pages,
        "total": total,
        "page_size": page_size,
        "actions": store.audit.actions(
            {} if workspace_id == ALL else {"workspace_id": workspace_id}
        ),
    }


def to_json(event):
    """An event as JSON-ready values (times as ISO 8601)."""
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in event.items() if k != "_id"
    }


def _span(date_from, date_to):
    span = {}
    if date_from:
        span["$gte"] = datetime.combine(_day(date_from), time.min, UTC)
    if date_to:
        span["$lt"] = datetime.combine(_day(date_to) + timedelta(days=1), time.min, UTC)
    return span


def _day(text):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError(f"'{text}' is not a date (YYYY-MM-DD).") from None
