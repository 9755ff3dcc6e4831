"""JSON API for runs and model versions (documented in docs/api.md)."""

import hashlib

from flask import current_app, g, request, url_for

from controllers.access import can, require_role
from controllers.api_support import api_blueprint, field, json_body
from controllers.audit.trail import audit, model_target, run_target
from controllers.context import actor, executor, get_store, secret, workspace_id
from controllers.runs.models import report_response, svg_response
from controllers.transfer import csv_response
from entity import read_cache
from exception_layer.errors import NotFound
from project_library.models import promotion, reports
from project_library.prediction import review
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
    audit("run.start", **run_target(run))
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
    store = get_store()
    run = store.runs.get(workspace_id(), run_id)
    body = run.to_dict()
    if can("admin") and run.status == "failed":  # the traceback itself stays in the server log
        body["error"] = store.runs.error_of(workspace_id(), run.id)
    return body


@bp.get("/runs/<run_id>/logs")
@require_role("viewer")
def run_logs(run_id):
    """The log lines after ``after`` with the run's state. Conditional: the answer carries an
    ETag, and a poll that brings it back while nothing changed is a 304 without any query
    (the page is cached per process until the run or its log changes)."""
    store, after = get_store(), request.args.get("after", "0")
    body, etag = read_cache.read(
        store.db,
        ("run_log_page", workspace_id(), run_id, after),
        ("runs", ("run_logs", run_id)),
        lambda: _log_body(store, run_id, after),
    )
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.no_cache = True  # the browser asks again every time, with the tag
    response.cache_control.private = True
    return response


def _log_body(store, run_id, after):
    body = current_app.json.dumps(service.log_page(store, workspace_id(), run_id, after))
    return body, hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


@bp.post("/runs/<run_id>/cancel")
@require_role("admin")
def cancel(run_id):
    run = service.cancel_run(get_store(), workspace_id(), run_id)
    audit("run.cancel", **run_target(run))
    return run.to_dict()


@bp.get("/runs/<run_id>/drift")
@require_role("viewer")
def drift(run_id):
    run = get_store().runs.get(workspace_id(), run_id)
    if run.drift is None:
        raise NotFound(
            "This run has no drift report: only prediction runs with a model trained on this "
            "version of the platform are checked."
        )
    return run.drift


@bp.post("/runs/<run_id>/review")
@require_role("admin")
def decide(run_id):
    store = get_store()
    store.runs.get(workspace_id(), run_id)  # 404 before 400
    words = {"release": "released", "discard": "discarded"}
    decision = field(json_body(), "decision", kind=str)
    run = review.decide(store, workspace_id(), run_id, words.get(decision, decision), actor())
    audit("run.review", **run_target(run), after={"decision": decision, "status": run.status})
    return run.to_dict()


@bp.get("/runs/<run_id>/predictions")
@require_role("viewer")
def predictions(run_id):
    download = service.open_predictions(get_store(), workspace_id(), run_id)
    audit("run.predictions_download", **run_target(get_store().runs.get(workspace_id(), run_id)))
    return csv_response(*download)


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
    audit("model.promote", target=model_target(project_id, record.version))
    return record.to_dict() | {"production": True}


@bp.get("/projects/<project_id>/models/<version>/plots")
@require_role("viewer")
def plots(project_id, version):
    project, record, report = reports.version_with_report(
        get_store(), secret(), workspace_id(), project_id, version
    )
    if report is None:
        raise NotFound(f"Model v{record.version} has no report: train a new version to get one.")
    where = {"project_id": project.id, "version": record.version}
    figures = [
        {
            "name": item["name"],
            "title": item["title"],
            "alt": item["alt"],
            "svg_url": url_for("runs_api.plot_svg", name=item["name"], **where),
            "data": item["data"],
        }
        for item in report["figures"]
    ]
    return {"version": record.version, "figures": figures, "tables": report.get("tables", {})}


@bp.get("/projects/<project_id>/models/<version>/plots/<name>.svg")
@require_role("viewer")
def plot_svg(project_id, version, name):
    svg = reports.figure_svg(get_store(), secret(), workspace_id(), project_id, version, name)
    return svg_response(svg)


@bp.get("/projects/<project_id>/models/<version>/report")
@require_role("viewer")
def report(project_id, version):
    project, record, body = reports.report_html(
        get_store(), secret(), workspace_id(), project_id, version
    )
    audit("model.report_download", target=model_target(project.id, record.version))
    return report_response(project, record, body)
