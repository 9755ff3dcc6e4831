"""Site administration: the accounts of this installation."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from controllers.access import require_site_admin
from controllers.context import get_store
from exception_layer.errors import AppError
from project_library.accounts import service as accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@require_site_admin
def users():
    return render_template("admin/users.html", users=get_store().users.list())


@bp.post("/users/<user_id>/disabled")
@require_site_admin
def set_disabled(user_id):
    disable = request.form.get("disabled") == "1"
    try:
        accounts.set_disabled(get_store(), current_user, user_id, disable)
    except AppError as error:
        if error.status_code == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("admin.users"))
    flash("Account disabled." if disable else "Account enabled.", "success")
    return redirect(url_for("admin.users"))
