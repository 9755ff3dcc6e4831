"""JSON API for runs and model versions (documented in docs/api.md)."""

from flask import g, request

from controllers.access import can, require_role
from controllers.api_support import api_blueprint, field, json_body
from controllers.context import actor, executor, get_store, secret, workspace_id
from controllers.transfer import csv_response
from project_library.models import promotion
from thread_layer import runs as service

bp = api_blueprint("runs_api", __name__)


@bp.post("/projects/<project_id>/runs")
@require_role("admin")
def create_run(project_id):
    store = get_store()
    store.projects.get(workspace_id(), project_id)  # 404 before 400
    body = json_body()
    kind = field(body, "kind", kind=str)
    run = service.start_run(
        store,
        executor(),
        workspace_id(),
        project_id,
        kind,
        actor(),
        trigger=service.person_trigger(actor(), token=bool(g.get("token_auth"))),
        files=field(body, "files", kind=str, required=False),
    )
    return store.runs.get(workspace_id(), run.id).to_dict(), 202


@bp.get("/projects/<project_id>/runs")
@require_role("viewer")
def list_runs(project_id):
    runs, _ = service.list_runs(
        get_store(), workspace_id(), project_id, request.args.get("trigger") or None
    )
    return {"runs": [r.to_dict() for r in runs]}


@bp.get("/runs/<run_id>")
@require_role("viewer")
def get_run(run_id):
    run = get_store().runs.get(workspace_id(), run_id)
    return run.to_dict(include_traceback=can("admin"))


@bp.get("/runs/<run_id>/logs")
@require_role("viewer")
def run_logs(run_id):
    return service.log_page(get_store(), workspace_id(), run_id, request.args.get("after", 0))


@bp.post("/runs/<run_id>/cancel")
@require_role("admin")
def cancel(run_id):
    return service.cancel_run(get_store(), workspace_id(), run_id).to_dict()


@bp.get("/runs/<run_id>/predictions")
@require_role("viewer")
def predictions(run_id):
    return csv_response(*service.open_predictions(get_store(), workspace_id(), run_id))


@bp.get("/projects/<project_id>/models")
@require_role("viewer")
def models(project_id):
    project, versions = promotion.list_models(get_store(), workspace_id(), project_id)
    return {
        "production_version": project.production_version,
        "models": [
            v.to_dict() | {"production": v.version == project.production_version} for v in versions
        ],
    }


@bp.post("/projects/<project_id>/models/<version>/promote")
@require_role("admin")
def promote(project_id, version):
    record = promotion.promote(get_store(), secret(), workspace_id(), project_id, version, actor())
    return record.to_dict() | {"production": True}
