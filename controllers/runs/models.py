"""Model version pages: versions with metrics and lineage, production marker, promote/roll
back; one version's report (figures, tables, comparison with production) and its HTML file."""

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from controllers.access import require_role
from controllers.audit.trail import audit, model_target
from controllers.context import actor, get_store, secret, workspace_id
from exception_layer.errors import Conflict
from project_library.models import history, reports
from project_library.models import promotion as service

bp = Blueprint("models", __name__)

# Reports and figures are documents, not part of the app: no scripts, nothing fetched.
DOCUMENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.app_context_processor
def history_helpers():
    def project_history(project):
        if not g.get("workspace") or not getattr(project, "id", None):
            return {}
        store = get_store()
        return {
            "metric": history.metric_history(store, workspace_id(), project),
            "validations": history.validation_history(store, workspace_id(), project),
        }

    return {"project_history": project_history}


@bp.get("/projects/<project_id>/models")
@require_role("viewer")
def index(project_id):
    project, versions = service.list_models(get_store(), workspace_id(), project_id)
    history = service.promotion_history(get_store(), workspace_id(), project.id)
    return render_template("models/index.html", project=project, versions=versions, history=history)


@bp.get("/projects/<project_id>/models/<int:version>")
@require_role("viewer")
def version(project_id, version):
    store = get_store()
    project, record, report = reports.version_with_report(
        store, secret(), workspace_id(), project_id, version
    )
    return render_template(
        "models/version.html",
        project=project,
        v=record,
        report=report,
        comparison=reports.comparison(store, secret(), project, record),
    )


@bp.get("/projects/<project_id>/models/<int:version>/report")
@require_role("viewer")
def report(project_id, version):
    project, record, body = reports.report_html(
        get_store(), secret(), workspace_id(), project_id, version
    )
    download = request.args.get("download") == "1"
    if download:
        audit("model.report_download", target=model_target(project.id, record.version))
    return report_response(project, record, body, download=download)


@bp.get("/projects/<project_id>/models/<int:version>/figures/<name>.svg")
@require_role("viewer")
def figure(project_id, version, name):
    svg = reports.figure_svg(get_store(), secret(), workspace_id(), project_id, version, name)
    return svg_response(svg)


def report_response(project, record, body, download=False):
    """The self-contained HTML report; ``download`` makes the browser save it."""
    name = f"{safe_name(project.name)}_model_v{record.version}_report.html"
    disposition = "attachment" if download else "inline"
    return Response(
        body,
        mimetype="text/html",
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Content-Security-Policy": DOCUMENT_POLICY,
        },
    )


def svg_response(svg):
    return Response(
        svg,
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": DOCUMENT_POLICY},
    )


def safe_name(text):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60] or "project"


@bp.post("/projects/<project_id>/models/<int:version>/promote")
@require_role("admin")
def promote(project_id, version):
    record = service.promote(get_store(), secret(), workspace_id(), project_id, version, actor())
    audit("model.promote", target=model_target(project_id, record.version))
    flash(f"Model v{record.version} is now in production.", "success")
    return redirect(url_for("models.index", project_id=project_id))


@bp.post("/projects/<project_id>/models/rollback")
@require_role("admin")
def rollback(project_id):
    try:
        record = service.rollback(get_store(), secret(), workspace_id(), project_id, actor())
        audit("model.rollback", target=model_target(project_id, record.version))
        flash(f"Rolled back: model v{record.version} is in production again.", "success")
    except Conflict as exc:
        flash(exc.message, "warning")
    return redirect(url_for("models.index", project_id=project_id))
