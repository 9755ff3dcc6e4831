"""The outbox: every run email with its delivery state (site admins only)."""

from flask import Blueprint, current_app, render_template

from controllers.access import require_site_admin
from controllers.context import get_store

bp = Blueprint("outbox", __name__)


@bp.get("/admin/outbox")
@require_site_admin
def index():
    outbox = get_store().outbox
    return render_template(
        "outbox/index.html",
        messages=outbox.latest(),
        counts=outbox.counts(),
        smtp_server=current_app.config.get("MAIL_SERVER"),
    )
