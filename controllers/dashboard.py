"""The welcome page: the current workspace at a glance.

Areas add a panel by appending a function to ``PANELS``; it receives the workspace and
returns ``(template_name, context)`` or None, and runs only when the dashboard renders.
"""

from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user

from controllers.access import require_role
from entity.db import get_db
from project_library.accounts import service as accounts

bp = Blueprint("dashboard", __name__)

PANELS = []


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return _dashboard()


@require_role("viewer")
def _dashboard():
    db = get_db()
    rows = accounts.workspace_people(db, g.workspace.id)
    panels = [p for p in (panel(g.workspace) for panel in PANELS) if p]
    return render_template("dashboard.html", rows=rows, panels=panels)
