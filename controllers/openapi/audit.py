"""The audit trail in the OpenAPI document."""

from controllers.openapi.building import (
    TEXT,
    file_response,
    json_response,
    list_of,
    obj,
    operation,
    parameter,
)
from entity.validators import INT64_MAX

EVENT = obj(
    ["time", "workspace_id", "seq", "actor", "action", "outcome", "prev_hash", "hash"],
    time=TEXT,
    workspace_id={"type": ["string", "null"]},
    project_id={"type": ["string", "null"]},
    seq={"type": "integer"},
    actor={"type": "object"},
    action=TEXT,
    target={"type": ["object", "null"]},
    outcome={"enum": ["ok", "denied", "failed"]},
    client={"type": ["string", "null"]},
    user_agent={"type": ["string", "null"]},
    request_id={"type": ["string", "null"]},
    before={"type": ["object", "null"]},
    after={"type": ["object", "null"]},
    details={"type": ["object", "null"]},
    prev_hash=TEXT,
    prev_time={"type": ["string", "null"]},
    hash=TEXT,
)


def paths():
    """{path: {method: operation}} of this area."""
    page = {
        **list_of(EVENT, "events"),
        "properties": {
            **list_of(EVENT, "events")["properties"],
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "total": {"type": "integer"},
            "page_size": {"type": "integer"},
        },
    }
    query = [
        parameter("format", "query", {"enum": ["json", "csv", "jsonl"]}),
        parameter("page", "query", {"type": "integer", "minimum": 1, "maximum": INT64_MAX}),
        parameter("actor", "query", TEXT, description="an actor's id, email or name"),
        parameter("action", "query", TEXT, description="an action, or an area (no dot)"),
        parameter("project", "query", TEXT, description="a project id"),
        parameter("outcome", "query", {"enum": ["ok", "denied", "failed"]}),
        parameter("date_from", "query", {"type": "string", "format": "date"}),
        parameter("date_to", "query", {"type": "string", "format": "date"}),
    ]
    ok = json_response(page)
    ok["content"].update(
        file_response("text/csv", "")["content"]
        | file_response("application/x-ndjson", "")["content"]
    )
    return {
        "/workspaces/{workspace_id}/audit": {
            "get": operation(
                "The workspace's audit events, newest first (or all of them as CSV or JSON Lines).",
                "owner",
                {"200": ok},
                query=query,
            )
        }
    }
