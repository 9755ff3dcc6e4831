"""JSON API of the audit trail: ``GET /api/v1/workspaces/<id>/audit`` (docs/api.md, "Audit")."""

from flask import request

from controllers.access import require_login
from controllers.api_support import api_blueprint
from controllers.audit.access import readable_chain
from controllers.audit.pages import export_response, filters_of
from controllers.context import get_store
from exception_layer.errors import ValidationError
from project_library import audit as audit_log
from project_library.audit.query import to_json

bp = api_blueprint("audit_api", __name__)


@bp.get("/workspaces/<workspace_id>/audit")
@require_login
def workspace_audit(workspace_id):
    """A page of events (newest first), or with ``?format=csv|jsonl`` the whole filtered trail."""
    chain = readable_chain(workspace_id)
    kind = request.args.get("format", "json")
    if kind in ("csv", "jsonl"):
        return export_response(kind, chain, request.args)
    if kind != "json":
        raise ValidationError("'format' is json, csv or jsonl.", details={"field": "format"})
    found = audit_log.query(
        get_store(), chain, filters_of(request.args), request.args.get("page", 1, type=int)
    )
    return {
        "events": [to_json(event) for event in found["events"]],
        "page": found["page"],
        "pages": found["pages"],
        "total": found["total"],
        "page_size": found["page_size"],
    }
