"""JSON API for projects, their schemas and their validations (documented in docs/api.md)."""

import json
from dataclasses import fields

from flask import Response

from controllers.access import require_role
from controllers.api_support import api_blueprint, field, json_body
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, workspace_id
from controllers.projects.common import kind_or_404
from controllers.transfer import read_body
from entity.project import SETTABLE_FIELDS, Project
from entity.validation import BATCHES
from exception_layer.errors import NotFound, ValidationError
from project_library.audit import changed, project_state
from project_library.projects import service
from project_library.validation import service as validation
from project_library.validation.schema import MAX_SCHEMA_BYTES, schema_too_large

bp = api_blueprint("projects_api", __name__)

# Fields a project document carries that a client may send back unchanged (they are ignored).
_ECHOED = {f.name for f in fields(Project)} - set(SETTABLE_FIELDS) | {"deleting"}


def _json(data, status=200):
    """JSON in the order given: Flask's provider sorts keys, and a schema's ColName order is
    its column positions."""
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        mimetype="application/json",
    )


def _project_values(body, creating):
    unknown = set(body) - set(SETTABLE_FIELDS) - _ECHOED
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    values = {}
    for name, kind in SETTABLE_FIELDS.items():
        if name in body:
            values[name] = field(body, name, kind=kind, required=False)
    if creating and not values.get("name"):
        raise ValidationError("'name' is required.", details={"field": "name"})
    return values


@bp.get("/projects")
@require_role("viewer")
def list_projects():
    projects = get_store().projects.list(workspace_id())
    return _json({"projects": [p.to_dict() for p in projects]})


@bp.post("/projects")
@require_role("admin")
def create_project():
    values = _project_values(json_body(), creating=True)
    project = service.create_project(get_store(), workspace_id(), values, actor().id)
    audit("project.create", target=target("project", project), after=project_state(project))
    return _json(project.to_dict(), 201)


@bp.get("/projects/<project_id>")
@require_role("viewer")
def get_project(project_id):
    return _json(get_store().projects.get(workspace_id(), project_id).to_dict())


@bp.patch("/projects/<project_id>")
@require_role("admin")
def patch_project(project_id):
    found = get_store().projects.get(workspace_id(), project_id)  # 404 before 400
    values = _project_values(json_body(), creating=False)
    project = service.update_project(get_store(), workspace_id(), project_id, values)
    before, after = changed(project_state(found), project_state(project))
    audit("project.update", target=target("project", project), before=before, after=after)
    return _json(project.to_dict())


@bp.get("/projects/<project_id>/schemas/<kind>")
@require_role("viewer")
def get_schema(project_id, kind):
    project = get_store().projects.get(workspace_id(), project_id)
    text = service.export_schema(project, kind_or_404(kind))
    if text is None:
        raise NotFound(f"The project has no {kind} schema yet.")
    return Response(text, mimetype="application/json")


@bp.put("/projects/<project_id>/schemas/<kind>")
@require_role("admin")
def put_schema(project_id, kind):
    get_store().projects.get(workspace_id(), project_id)  # 404 before parsing input
    text = read_body(MAX_SCHEMA_BYTES, schema_too_large().message)
    if not text.strip():
        raise ValidationError("Send the schema as the JSON body.")
    kind = kind_or_404(kind)
    project, hints = service.save_schema(get_store(), workspace_id(), project_id, kind, text)
    audit("schema.update", target=target("project", project), details={"kind": kind})
    return {
        "project": project.to_dict(),
        "inferred": hints,
        "schema": project.training_schema if kind == "training" else project.prediction_schema,
    }


@bp.post("/projects/<project_id>/validations")
@require_role("admin")
def start_validation(project_id):
    project = get_store().projects.get(workspace_id(), project_id)
    body = json_body()
    kind = field(body, "kind", kind=str)
    if kind not in BATCHES:
        raise ValidationError("'kind' is 'training' or 'prediction'.", details={"field": "kind"})
    report = validation.validate(get_store(), project, kind, actor().id)
    audit("validation.run", target=target("validation", report["id"], kind), details={"kind": kind})
    return _json(_report_json(report), 201)


@bp.get("/projects/<project_id>/validations")
@require_role("viewer")
def list_validations(project_id):
    get_store().projects.get(workspace_id(), project_id)
    reports = get_store().validations.list_for_project(workspace_id(), project_id)
    return {"validations": [_summary_json(r) for r in reports]}


@bp.get("/validations/<validation_id>")
@require_role("viewer")
def get_validation(validation_id):
    return _json(_report_json(get_store().validations.get(workspace_id(), validation_id)))


@bp.post("/validations/<validation_id>/restore")
@require_role("admin")
def restore_file(validation_id):
    get_store().validations.get(workspace_id(), validation_id)  # 404 before 400
    name = field(json_body(), "name", kind=str)
    _, destination = validation.restore(get_store(), workspace_id(), validation_id, name)
    audit(
        "file.move",
        target=target("file", destination, name),
        details={"restored_from": validation_id},
    )
    return {"restored": name, "path": destination}


def _summary_json(report):
    return {
        "id": report["id"],
        "project_id": report.get("project_id"),
        "kind": report.get("kind"),
        "status": report.get("status"),
        "counts": report.get("counts"),
        "started_at": _iso(report.get("started_at")),
        "finished_at": _iso(report.get("finished_at")),
    }


def _report_json(report):
    body = _summary_json(report)
    body["notes"] = report.get("notes", [])
    body["error"] = report.get("error")
    body["files"] = [
        {
            "name": f["name"],
            "accepted": f["accepted"],
            "rows": f.get("rows"),
            "size": f.get("size"),
            "sha256": f.get("sha256"),
            "duplicate_of": f.get("duplicate_of"),
            "restored": f.get("restored", False),
            "reasons": f.get("reasons", []),
            "warnings": f.get("warnings", []),
        }
        for f in report.get("files", [])
    ]
    return body


def _iso(value):
    return value.isoformat() if value else None
