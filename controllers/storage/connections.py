"""Storage connection pages: owners create, edit, test and delete; every member sees the list."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from controllers.access import require_role
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, workspace_id
from entity.connection import MASK
from exception_layer.errors import AppError, StorageError, ValidationError
from integration.registry import provider_class
from project_library.audit import connection_state
from project_library.storage import connections as service

bp = Blueprint("connections", __name__, url_prefix="/connections")


@bp.get("/")
@require_role("viewer")
def index():
    return render_template(
        "connections/index.html", connections=service.list_connections(get_store(), workspace_id())
    )


def _form_settings(provider):
    return {
        spec.name: request.form.get(spec.name, "")
        for spec in provider_class(provider).settings_schema
    }


def _render_form(provider, values, connection=None, name="", error=None, status=200):
    return (
        render_template(
            "connections/form.html",
            provider=provider,
            schema=provider_class(provider).settings_schema,
            values=values,
            connection=connection,
            name=name,
            error=error,
            mask=MASK,
        ),
        status,
    )


def _tested(created):
    try:
        service.test_connection(get_store(), workspace_id(), created.id)
    except StorageError as exc:
        audit("connection.test", target=target("connection", created), outcome="failed")
        flash(f"Saved '{created.name}', but the test failed: {exc.message}", "warning")
    else:
        audit("connection.test", target=target("connection", created))
        flash(f"Saved '{created.name}' and connected successfully.", "success")


@bp.get("/new")
@require_role("owner")
def new():
    provider = request.args.get("provider")
    if provider not in service.providers_for(actor()):
        return render_template("connections/choose.html", providers=service.providers_for(actor()))
    return _render_form(provider, {})


@bp.post("/new")
@require_role("owner")
def create():
    provider = request.form.get("provider", "")
    if provider not in service.providers_for(actor()):
        raise ValidationError("Choose a storage provider.")
    name = request.form.get("name", "")
    values = _form_settings(provider)
    try:
        created = service.create_connection(
            get_store(), workspace_id(), actor(), name, provider, values
        )
    except AppError as exc:
        if exc.status_code not in (400, 403, 409):
            raise
        blank_secrets = {
            k: ("" if k in provider_class(provider).secret_fields() else v)
            for k, v in values.items()
        }
        return _render_form(
            provider, blank_secrets, name=name, error=exc.message, status=exc.status_code
        )
    audit(
        "connection.create", target=target("connection", created), after=connection_state(created)
    )
    _tested(created)
    return redirect(url_for("connections.index"))


@bp.get("/<connection_id>/edit")
@require_role("owner")
def edit(connection_id):
    found = service.get_connection(get_store(), workspace_id(), connection_id)
    if found.builtin:
        raise ValidationError("The built-in workspace folder cannot be changed.")
    return _render_form(found.provider, found.masked_settings(), connection=found, name=found.name)


@bp.post("/<connection_id>/edit")
@require_role("owner")
def update(connection_id):
    found = service.get_connection(get_store(), workspace_id(), connection_id)
    name = request.form.get("name", "")
    values = _form_settings(found.provider)
    try:
        updated = service.update_connection(
            get_store(), workspace_id(), actor(), connection_id, name=name, settings=values
        )
    except AppError as exc:
        if exc.status_code not in (400, 403, 409):
            raise
        secrets = provider_class(found.provider).secret_fields()
        shown = {
            k: (MASK if k in secrets and v == MASK else ("" if k in secrets else v))
            for k, v in values.items()
        }
        return _render_form(
            found.provider,
            shown,
            connection=found,
            name=name,
            error=exc.message,
            status=exc.status_code,
        )
    audit(
        "connection.update",
        target=target("connection", updated),
        before=connection_state(found),
        after=connection_state(updated),
    )
    _tested(updated)
    return redirect(url_for("connections.index"))


@bp.post("/<connection_id>/test")
@require_role("owner")
def test(connection_id):
    found = service.get_connection(get_store(), workspace_id(), connection_id)
    try:
        service.test_connection(get_store(), workspace_id(), connection_id)
    except StorageError as exc:
        audit("connection.test", target=target("connection", found), outcome="failed")
        flash(f"'{found.name}': {exc.message}", "error")
    else:
        audit("connection.test", target=target("connection", found))
        flash(f"'{found.name}' is reachable.", "success")
    return redirect(url_for("connections.index"))


@bp.post("/<connection_id>/delete")
@require_role("owner")
def delete(connection_id):
    found = service.get_connection(get_store(), workspace_id(), connection_id)
    try:
        service.delete_connection(get_store(), workspace_id(), connection_id)
    except AppError as exc:
        if exc.status_code not in (400, 409):
            raise
        flash(exc.message, "error")
    else:
        audit(
            "connection.delete", target=target("connection", found), before=connection_state(found)
        )
        flash(f"Deleted the connection '{found.name}'. Its files were not touched.", "success")
    return redirect(url_for("connections.index"))
