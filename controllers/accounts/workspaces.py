"""Workspaces: create, switch, manage members, and set the time zone of schedules."""

from functools import lru_cache
from zoneinfo import available_timezones

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from controllers.access import require_login, require_role
from controllers.audit.trail import audit, target
from controllers.context import get_store, workspace_id
from entity.workspace import ROLES
from exception_layer.errors import AppError
from project_library.accounts import service as accounts

bp = Blueprint("workspaces", __name__, url_prefix="/workspace")


@lru_cache(maxsize=1)
def time_zones():
    """Every IANA zone name, sorted (without the aliases that name no place)."""
    return sorted(available_timezones() - {"localtime", "posixrules", "Factory"})


@bp.get("")
@require_role("viewer")
def settings():
    return _settings_page()


def _settings_page(status=200):
    db = get_store()
    rows = accounts.workspace_people(db, workspace_id())
    return render_template(
        "workspaces/settings.html", rows=rows, roles=ROLES, zones=time_zones()
    ), status


@bp.get("/new")
@require_login
def new():
    return render_template("workspaces/new.html")


@bp.post("/new")
@require_login
def create():
    try:
        workspace = accounts.create_team_workspace(
            get_store(), current_user, request.form.get("name")
        )
    except AppError as error:
        flash(error.message, "error")
        return render_template("workspaces/new.html"), error.status_code
    audit("workspace.create", target=target("workspace", workspace), workspace_id=workspace.id)
    flash(f"Workspace “{workspace.name}” created. Invite your colleagues below.", "success")
    return redirect(url_for("workspaces.settings"))


@bp.post("/switch")
@require_login
def switch():
    accounts.switch_workspace(get_store(), current_user, request.form.get("workspace_id", ""))
    return redirect(url_for("dashboard.index"))


@bp.post("/rename")
@require_role("owner")
def rename():
    before = {"name": g.workspace.name}
    try:
        accounts.rename_workspace(get_store(), workspace_id(), request.form.get("name"))
    except AppError as error:
        flash(error.message, "error")
        return _settings_page(error.status_code)
    audit(
        "workspace.rename",
        target=target("workspace", g.workspace),
        before=before,
        after={"name": request.form.get("name", "").strip()},
    )
    flash("Workspace renamed.", "success")
    return redirect(url_for("workspaces.settings"))


@bp.post("/timezone")
@require_role("owner")
def set_timezone():
    try:
        zone = accounts.set_timezone(get_store(), workspace_id(), request.form.get("timezone"))
    except AppError as error:
        flash(error.message, "error")
        return _settings_page(error.status_code)
    flash(f"Time zone set to {zone}: new schedules use it unless they name their own.", "success")
    return redirect(url_for("workspaces.settings"))


@bp.post("/members")
@require_role("owner")
def invite():
    try:
        person = accounts.invite(
            get_store(),
            workspace_id(),
            request.form.get("email"),
            request.form.get("role", "viewer"),
        )
    except AppError as error:
        flash(error.message, "error")
        return _settings_page(error.status_code)
    audit(
        "member.invite",
        target=target("user", person.id, person.email),
        after={"role": request.form.get("role", "viewer")},
    )
    flash(f"{person.email} is now a member of this workspace.", "success")
    return redirect(url_for("workspaces.settings"))


@bp.post("/members/<user_id>/role")
@require_role("owner")
def set_role(user_id):
    try:
        accounts.set_member_role(get_store(), workspace_id(), user_id, request.form.get("role", ""))
    except AppError as error:
        if error.status_code == 404:
            raise
        flash(error.message, "error")
        return _settings_page(error.status_code)
    audit(
        "member.role_change",
        target=target("user", user_id),
        after={"role": request.form.get("role")},
    )
    flash("Role changed.", "success")
    return redirect(url_for("workspaces.settings"))


@bp.post("/members/<user_id>/remove")
@require_role("owner")
def remove(user_id):
    try:
        accounts.remove_member(get_store(), workspace_id(), user_id)
    except AppError as error:
        if error.status_code == 404:
            raise
        flash(error.message, "error")
        return _settings_page(error.status_code)
    audit("member.remove", target=target("user", user_id))
    flash("Member removed.", "success")
    return redirect(url_for("workspaces.settings"))
