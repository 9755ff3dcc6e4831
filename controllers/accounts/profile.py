"""The signed-in user's profile, password and personal access tokens."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from controllers.access import require_login
from controllers.audit.trail import audit, target
from controllers.context import get_store
from entity.token import DEFAULT_EXPIRY, EXPIRY_LABELS
from exception_layer.errors import AppError
from project_library.accounts import service as accounts

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(status=200, new_token=None):
    tokens = accounts.user_tokens(get_store(), current_user)
    return render_template(
        "account/profile.html",
        tokens=tokens,
        new_token=new_token,
        expiry_labels=EXPIRY_LABELS,
        default_expiry=DEFAULT_EXPIRY,
    ), status


@bp.get("")
@require_login
def profile():
    return _page(new_token=session.pop("new_token", None))


@bp.post("/profile")
@require_login
def update_profile():
    try:
        accounts.update_profile(
            get_store(),
            current_user,
            request.form.get("display_name", ""),
            request.form.get("notification_email", ""),
        )
    except AppError as error:
        flash(error.message, "error")
        return _page(error.status_code)
    flash("Profile saved.", "success")
    return redirect(url_for("account.profile"))


@bp.post("/password")
@require_login
def change_password():
    form = request.form
    if form.get("new_password") != form.get("confirm_password"):
        flash("The new passwords do not match.", "error")
        return _page(400)
    try:
        accounts.change_password(
            get_store(), current_user, form.get("current_password"), form.get("new_password")
        )
    except AppError as error:
        audit("auth.password_change", outcome="failed", workspace_id=None)
        flash(error.message, "error")
        return _page(error.status_code)
    audit("auth.password_change", target=target("user", current_user.id), workspace_id=None)
    flash("Password changed.", "success")
    return redirect(url_for("account.profile"))


@bp.post("/tokens")
@require_login
def create_token():
    try:
        created, token = accounts.create_token(
            get_store(), current_user, request.form.get("name"), request.form.get("expires")
        )
    except AppError as error:
        flash(error.message, "error")
        return _page(error.status_code)
    audit("token.create", target=target("token", created.id, created.name), workspace_id=None)
    session["new_token"] = token  # shown once, on the page we redirect to
    return redirect(url_for("account.profile"))


@bp.post("/tokens/<token_id>/revoke")
@require_login
def revoke_token(token_id):
    accounts.revoke_token(get_store(), current_user, token_id)
    audit("token.revoke", target=target("token", token_id), workspace_id=None)
    flash("Token revoked.", "success")
    return redirect(url_for("account.profile"))
