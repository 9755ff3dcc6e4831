"""The Audit page: a workspace's trail for its owners, any trail for site admins; filtered,
paged, and exported as CSV or JSON Lines."""

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from controllers.access import require_login
from controllers.audit.access import SITE, readable_chain
from controllers.context import get_store
from exception_layer.errors import NotFound
from project_library import audit as audit_log
from project_library.audit.query import FILTERS

bp = Blueprint("audit", __name__, url_prefix="/audit")

EXPORTS = {
    "csv": (audit_log.export_csv, "text/csv", "csv"),
    "jsonl": (audit_log.export_jsonl, "application/x-ndjson", "jsonl"),
}
OUTCOME_BADGE = {"ok": "ok", "denied": "warn", "failed": "bad"}


def filters_of(args):
    return {name: args.get(name, "") for name in FILTERS}


@bp.get("/")
@require_login
def index():
    wanted = request.args.get("workspace", "")
    chain = readable_chain(wanted)
    filters = filters_of(request.args)
    store = get_store()
    found = audit_log.query(store, chain, filters, request.args.get("page", 1, type=int))
    return render_template(
        "audit/index.html",
        found=found,
        filters=filters,
        chain=chain,
        wanted=wanted,
        projects=_project_names(store, chain),
        workspaces=_workspace_names(store) if current_user.is_site_admin else {},
        outcome_badge=OUTCOME_BADGE,
        site=SITE,
        all_chains=audit_log.ALL,
    )


@bp.get("/export.<kind>")
@require_login
def export(kind):
    return export_response(kind, readable_chain(request.args.get("workspace", "")), request.args)


def export_response(kind, chain, args):
    """A streamed CSV or JSON Lines attachment of ``chain`` under the request's filters."""
    if kind not in EXPORTS:
        raise NotFound("Export as csv or jsonl.")
    produce, mimetype, extension = EXPORTS[kind]
    lines = produce(get_store(), chain, filters_of(args))
    return Response(
        stream_with_context(lines),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="audit.{extension}"'},
    )


def _project_names(store, chain):
    if chain in (None, audit_log.ALL):
        return {}
    return {p.id: p.name for p in store.projects.list(chain)}


def _workspace_names(store):
    """Names of the workspaces that have a trail (a deleted one keeps its id)."""
    names = {}
    for workspace_id in store.audit.workspace_ids():
        if workspace_id is None:
            continue
        try:
            names[workspace_id] = store.workspaces.get(workspace_id).name
        except NotFound:
            names[workspace_id] = f"(deleted) {workspace_id}"
    return names
