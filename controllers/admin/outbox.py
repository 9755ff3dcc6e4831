"""The outbox: run emails kept when no SMTP server is configured (site admins only)."""

from flask import Blueprint, render_template

from controllers.access import require_site_admin
from entity.db import get_db
from integration.mail import outbox

bp = Blueprint("outbox", __name__)


@bp.get("/admin/outbox")
@require_site_admin
def index():
    return render_template("outbox/index.html", messages=outbox(get_db()))
