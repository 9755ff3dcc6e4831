"""What every JSON API blueprint shares: its prefix, authentication, CSRF and body parsing."""

from flask import Blueprint, current_app, g, request
from flask_login import current_user

from controllers.extensions import csrf
from exception_layer.errors import ValidationError

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def api_blueprint(name, import_name):
    """A Blueprint under /api/v1: bearer tokens need no CSRF token; a browser session does.

    Requests with neither (only the token exchange accepts those) carry no ambient authority,
    so they need no CSRF token either.
    """
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(bp)

    @bp.before_request
    def protect_session_writes():
        if (
            request.method in UNSAFE
            and current_user.is_authenticated
            and not g.get("token_auth")
            and current_app.config.get("WTF_CSRF_ENABLED", True)
        ):
            csrf.protect()

    return bp


def json_body():
    """The request's JSON object; anything else is a clear 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.", code="invalid_json")
    return body


def field(body, name, kind=str, required=True, default=None):
    """One field of a JSON body, of the given type (so `{"$gt": ""}` never reaches a query)."""
    if name not in body or body[name] is None:
        if required:
            raise ValidationError(f"'{name}' is required.", details={"field": name})
        return default
    value = body[name]
    if kind is str and not isinstance(value, str):
        raise ValidationError(f"'{name}' must be a string.", details={"field": name})
    if kind is bool and not isinstance(value, bool):
        raise ValidationError(f"'{name}' must be true or false.", details={"field": name})
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(f"'{name}' must be a whole number.", details={"field": name})
    if kind is list and not isinstance(value, list):
        raise ValidationError(f"'{name}' must be a list.", details={"field": name})
    if kind is dict and not isinstance(value, dict):
        raise ValidationError(f"'{name}' must be an object.", details={"field": name})
    return value
