"""JSON API for runs and model versions (documented in docs/api.md)."""

from flask import Response, g, request, stream_with_context
from flask_login import current_user

from controllers.access import can, require_role
from controllers.api_support import api_blueprint, field, json_body
from project_library.models import promotion as service
from project_library.models.artifacts import CHUNK

bp = api_blueprint("runs_api", __name__)


@bp.post("/projects/<project_id>/runs")
@require_role("admin")
def create_run(project_id):
    kind = field(json_body(), "kind", kind=str)
    run = service.start_run(_app(), g.workspace.id, project_id, kind, current_user)
    return service.get_run(g.workspace.id, run.id).to_dict(), 202


@bp.get("/projects/<project_id>/runs")
@require_role("viewer")
def list_runs(project_id):
    return {"runs": [r.to_dict() for r in service.runs().list(g.workspace.id, project_id)]}


@bp.get("/runs/<run_id>")
@require_role("viewer")
def get_run(run_id):
    return service.get_run(g.workspace.id, run_id).to_dict(include_traceback=can("admin"))


@bp.get("/runs/<run_id>/logs")
@require_role("viewer")
def run_logs(run_id):
    return service.log_page(g.workspace.id, run_id, request.args.get("after", 0))


@bp.post("/runs/<run_id>/cancel")
@require_role("admin")
def cancel(run_id):
    return service.cancel_run(_app(), g.workspace.id, run_id).to_dict()


@bp.get("/runs/<run_id>/predictions")
@require_role("viewer")
def predictions(run_id):
    name, stream = service.open_predictions(g.workspace.id, run_id)
    return csv_response(name, stream)


@bp.get("/projects/<project_id>/models")
@require_role("viewer")
def models(project_id):
    project, versions = service.list_models(g.workspace.id, project_id)
    return {
        "production_version": project.production_version,
        "models": [
            v.to_dict() | {"production": v.version == project.production_version} for v in versions
        ],
    }


@bp.post("/projects/<project_id>/models/<version>/promote")
@require_role("admin")
def promote(project_id, version):
    record = service.promote(g.workspace.id, project_id, version, current_user)
    return record.to_dict() | {"production": True}


def csv_response(name, stream):
    def chunks():
        with stream:
            while block := stream.read(CHUNK):
                yield block

    return Response(
        stream_with_context(chunks()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _app():
    from flask import current_app

    return current_app._get_current_object()
