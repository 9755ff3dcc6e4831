"""The welcome page: the current workspace at a glance.

Its panels are registered by name in ``create_app`` (``app.extensions["dashboard_panels"]``):
each is a function ``(store, workspace) -> (template name, context)`` that runs only when the
dashboard renders. The page is cached until one of the collections the panels read changes
(``controllers.page_cache``); a new panel that reads another collection adds it there.
"""

from flask import Blueprint, current_app, g, redirect, render_template, url_for
from flask_login import current_user

from controllers.access import require_role
from controllers.context import get_store, workspace_id
from controllers.page_cache import cached_page
from project_library.accounts import service as accounts

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return _dashboard()


@require_role("viewer")
@cached_page("projects", "validations", "runs")
def _dashboard():
    store = get_store()
    rows = accounts.workspace_people(store, workspace_id())
    panels = [panel(store, g.workspace) for panel in current_app.extensions["dashboard_panels"]]
    return render_template("dashboard.html", rows=rows, panels=[p for p in panels if p])
