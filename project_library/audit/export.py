"""The audit trail as CSV or JSON Lines, produced line by line so a long trail streams."""

import csv
import io
import json

from project_library.audit.query import criteria, to_json

CSV_COLUMNS = (
    "time",
    "workspace_id",
    "seq",
    "actor_type",
    "actor_id",
    "actor_name",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "project_id",
    "outcome",
    "client",
    "user_agent",
    "request_id",
    "before",
    "after",
    "details",
    "prev_hash",
    "hash",
)


def export_jsonl(store, workspace_id, filters=None):
    """Yield one JSON document per line, in chain order."""
    for event in _events(store, workspace_id, filters):
        yield json.dumps(to_json(event), sort_keys=True, default=str) + "\n"


def export_csv(store, workspace_id, filters=None):
    """Yield the header, then one CSV row per event, in chain order."""
    yield _csv_line(CSV_COLUMNS)
    for event in _events(store, workspace_id, filters):
        yield _csv_line(_row(to_json(event)))


def _events(store, workspace_id, filters):
    return store.audit.in_chain_order(criteria(workspace_id, filters))


def _row(event):
    actor = event.get("actor") or {}
    target = event.get("target") or {}
    flat = {
        **event,
        **{f"actor_{k}": actor.get(k) for k in ("type", "id", "name", "email")},
        **{f"target_{k}": target.get(k) for k in ("type", "id", "name")},
    }
    for key in ("before", "after", "details"):
        flat[key] = json.dumps(flat[key], sort_keys=True, default=str) if flat.get(key) else ""
    return [flat.get(column) for column in CSV_COLUMNS]


def _csv_line(values):
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
