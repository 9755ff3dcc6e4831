"""What every JSON API blueprint shares: its prefix, authentication, CSRF, the one reader of
JSON bodies and the one parser of numeric query parameters."""

from flask import Blueprint, current_app, g, request
from flask_login import current_user

from controllers.extensions import csrf
from controllers.openapi import integer_query_parameters
from controllers.transfer import human_size, read_body
from entity import validators
from exception_layer.errors import ValidationError

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_BYTES = 4 * 1024 * 1024


def api_blueprint(name, import_name):
    """A Blueprint under /api/v1: bearer tokens need no CSRF token; a browser session does.

    Requests with neither (only the token exchange accepts those) carry no ambient authority,
    so they need no CSRF token either.
    """
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(bp)
    bp.before_request(check_integer_parameters)

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


def check_integer_parameters():
    """Range-check, before the view runs, every integer query parameter the OpenAPI document
    declares for this operation (a log cursor, a page size): ASCII digits within the declared
    bounds, else a 400 in words, never a number the database cannot hold."""
    bounds = integer_query_parameters(request.url_rule.rule, request.method)
    for name, (low, high) in bounds.items():
        if name in request.args:
            validators.whole_number(request.args[name], f"'{name}'", low=low, high=high)


def json_body():
    """The request's JSON object, read with its size bounded before parsing (more than
    MAX_JSON_BYTES is a 413) and decoded by ``validators.json_document`` (nesting, numbers);
    anything else is a clear 400."""
    if not request.is_json:
        raise ValidationError(
            "The request body must be a JSON object (Content-Type: application/json).",
            code="invalid_json",
        )
    raw = read_body(
        MAX_JSON_BYTES, f"A JSON request body can be at most {human_size(MAX_JSON_BYTES)}."
    )
    body = validators.json_document(raw)
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.", code="invalid_json")
    return body


def query_number(name, *, low, high, default):
    """The query parameter ``name`` as a whole number from ``low`` to ``high`` (ASCII digits
    only); ``default`` when it is absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    return validators.whole_number(raw, f"'{name}'", low=low, high=high)


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
