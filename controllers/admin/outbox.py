"""The outbox: run emails kept when no SMTP server is configured (site admins only)."""

from flask import Blueprint, render_template

from controllers.access import require_site_admin
from controllers.context import get_store

bp = Blueprint("outbox", __name__)


@bp.get("/admin/outbox")
@require_site_admin
def index():
    return render_template("outbox/index.html", messages=get_store().outbox.latest())
