"""Register, sign in, sign out."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from controllers.audit.trail import audit, target
from controllers.context import get_store
from controllers.extensions import limiter
from exception_layer.errors import AppError, Unauthorized
from project_library.accounts import service as accounts

bp = Blueprint("auth", __name__)


def _signin_limit():
    return current_app.config["RATELIMIT_SIGNIN"]


def _safe_next(target):
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/"):
        return url_for("dashboard.index")
    return target


@bp.get("/register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render_template("auth/register.html", form={})


@bp.post("/register")
def register_post():
    form = request.form
    try:
        user = accounts.register(
            get_store(),
            form.get("email"),
            form.get("password"),
            form.get("display_name", ""),
            signup=current_app.config["SIGNUP"],
        )
    except AppError as error:
        flash(error.message, "error")
        return render_template("auth/register.html", form=form), error.status_code
    login_user(user)
    audit("auth.register", target=target("user", user.id, user.email), workspace_id=None)
    flash("Welcome! Your personal workspace is ready.", "success")
    return redirect(url_for("dashboard.index"))


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render_template("auth/login.html", form={}, next=request.args.get("next", ""))


@bp.post("/login")
@limiter.limit(_signin_limit, methods=["POST"])
def login_post():
    form = request.form
    try:
        user = accounts.authenticate(get_store(), form.get("email", ""), form.get("password", ""))
    except Unauthorized as error:
        attempted = {"type": "user", "id": None, "email": form.get("email", "")[:200]}
        audit("auth.sign_in", outcome="failed", actor=attempted, workspace_id=None)
        flash(error.message, "error")
        return render_template("auth/login.html", form=form, next=form.get("next", "")), 401
    login_user(user, remember=form.get("remember") == "on")
    audit("auth.sign_in", target=target("user", user.id, user.email), workspace_id=None)
    return redirect(_safe_next(form.get("next")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        audit("auth.sign_out", target=target("user", current_user.id), workspace_id=None)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
