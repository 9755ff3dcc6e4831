"""JSON API for projects, their schemas and their validations (documented in docs/api.md)."""

import json

from flask import Response, g, request
from flask_login import current_user

from controllers.access import require_role
from controllers.api_support import api_blueprint, field, json_body
from entity.db import get_db
from entity.project import EDITABLE_FIELDS, ProjectRepository
from entity.validation import ValidationRepository
from exception_layer.errors import NotFound, ValidationError
from project_library.projects import service

bp = api_blueprint("projects_api", __name__)

_TYPES = {
    "name": str,
    "description": str,
    "connection_id": str,
    "root": str,
    "task": str,
    "target": str,
    "ignore_columns": list,
    "id_columns": list,
    "metric": str,
    "missing_markers": list,
    "training_schema": dict,
    "prediction_schema": dict,
    "strict_headers": bool,
    "notify_emails": list,
    "time_budget_s": int,
    "strategy": str,
}
_READ_ONLY_VIA_API = {"schema_texts", "production_version"}


def _json(data, status=200):
    """JSON in the order given: Flask's provider sorts keys, and a schema's ColName order is
    its column positions."""
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        mimetype="application/json",
    )


def _project_values(body, creating):
    unknown = (
        set(body)
        - set(_TYPES)
        - {"id", "workspace_id", "created_at", "updated_at", "created_by", *_READ_ONLY_VIA_API}
    )
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    values = {}
    for name, kind in _TYPES.items():
        if name in body:
            values[name] = field(body, name, kind=kind, required=False)
    if creating and not values.get("name"):
        raise ValidationError("'name' is required.", details={"field": "name"})
    return {k: v for k, v in values.items() if k in EDITABLE_FIELDS}


def _kind(kind):
    if kind not in service.KINDS:
        raise NotFound("Schemas are 'training' or 'prediction'.")
    return kind


@bp.get("/projects")
@require_role("viewer")
def list_projects():
    projects = ProjectRepository(get_db()).list(g.workspace.id)
    return _json({"projects": [p.to_dict() for p in projects]})


@bp.post("/projects")
@require_role("admin")
def create_project():
    values = _project_values(json_body(), creating=True)
    project = service.create_project(get_db(), g.workspace.id, values, current_user.id)
    return _json(project.to_dict(), 201)


@bp.get("/projects/<project_id>")
@require_role("viewer")
def get_project(project_id):
    return _json(ProjectRepository(get_db()).get(g.workspace.id, project_id).to_dict())


@bp.patch("/projects/<project_id>")
@require_role("admin")
def patch_project(project_id):
    values = _project_values(json_body(), creating=False)
    project = service.update_project(get_db(), g.workspace.id, project_id, values)
    return _json(project.to_dict())


@bp.delete("/projects/<project_id>")
@require_role("admin")
def delete_project(project_id):
    service.delete_project(get_db(), g.workspace.id, project_id)
    return "", 204


@bp.get("/projects/<project_id>/schemas/<kind>")
@require_role("viewer")
def get_schema(project_id, kind):
    project = ProjectRepository(get_db()).get(g.workspace.id, project_id)
    text = service.export_schema(project, _kind(kind))
    if text is None:
        raise NotFound(f"The project has no {kind} schema yet.")
    return Response(text, mimetype="application/json")


@bp.put("/projects/<project_id>/schemas/<kind>")
@require_role("admin")
def put_schema(project_id, kind):
    ProjectRepository(get_db()).get(g.workspace.id, project_id)  # 404 before parsing input
    text = request.get_data(cache=False, as_text=False)
    if not text.strip():
        raise ValidationError("Send the schema as the JSON body.")
    project, hints = service.save_schema(get_db(), g.workspace.id, project_id, _kind(kind), text)
    return {
        "project": project.to_dict(),
        "inferred": hints,
        "schema": project.training_schema if kind == "training" else project.prediction_schema,
    }


@bp.post("/projects/<project_id>/validations")
@require_role("admin")
def start_validation(project_id):
    project = ProjectRepository(get_db()).get(g.workspace.id, project_id)
    body = json_body()
    kind = field(body, "kind", kind=str)
    if kind not in service.KINDS:
        raise ValidationError("'kind' is 'training' or 'prediction'.", details={"field": "kind"})
    report = service.validate(get_db(), project, kind, current_user.id)
    return _json(_report_json(report), 201)


@bp.get("/projects/<project_id>/validations")
@require_role("viewer")
def list_validations(project_id):
    ProjectRepository(get_db()).get(g.workspace.id, project_id)
    reports = ValidationRepository(get_db()).list_for_project(g.workspace.id, project_id)
    return {"validations": [_summary_json(r) for r in reports]}


@bp.get("/validations/<validation_id>")
@require_role("viewer")
def get_validation(validation_id):
    return _json(_report_json(ValidationRepository(get_db()).get(g.workspace.id, validation_id)))


@bp.post("/validations/<validation_id>/restore")
@require_role("admin")
def restore_file(validation_id):
    name = field(json_body(), "name", kind=str)
    _, destination = service.restore(get_db(), g.workspace.id, validation_id, name)
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
