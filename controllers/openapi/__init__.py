"""The OpenAPI 3.1 document of the JSON API, served at ``GET /api/v1/openapi.json``.

One source: this package builds the document, one module per area of ``controllers``
(``accounts``, ``projects``, ``runs``, ``automation``, ``serving``, ``storage``,
``audit``); ``docs/api.md``
tells the same operations in words, and ``tests/api/test_openapi.py`` checks that the
document's paths and methods are exactly the app's ``/api/v1`` routes, so the contract cannot
drift from the code. Every integer query parameter declared here is range-checked before its
view runs (``controllers.api_support``), so the document is also what the API enforces.
"""

import re
from functools import cache

from flask import Blueprint, jsonify

from controllers.openapi import (
    accounts,
    audit,
    automation,
    deletion,
    projects,
    runs,
    serving,
    storage,
)
from controllers.openapi.building import ERROR_WORDS, json_response, path_parameters, ref
from controllers.openapi.components import schemas

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")
AREAS = (accounts, projects, runs, automation, serving, storage, audit, deletion)


@cache
def openapi_document():
    """The whole document (built once per process)."""
    paths = {}
    for area in AREAS:
        paths.update(area.paths())
    for path, operations in paths.items():
        for operation in operations.values():
            operation["parameters"] = path_parameters(path) + operation["parameters"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ML Platform JSON API",
            "version": "1",
            "description": "Every path starts with /api/v1; docs/api.md tells the same in words.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
            "responses": {
                f"E{status}": json_response(ref("Error"), words)
                for status, words in ERROR_WORDS.items()
            },
        },
    }


def openapi_path(rule):
    """A Flask rule's path as the document writes it: '/api/v1/runs/<run_id>/logs' ->
    '/runs/{run_id}/logs'."""
    path = rule.removeprefix(bp.url_prefix)
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path)


def integer_query_parameters(rule, method):
    """{name: (minimum, maximum)} of the integer query parameters of the operation a Flask
    rule and method serve."""
    operation = openapi_document()["paths"].get(openapi_path(rule), {}).get(method.lower(), {})
    return {
        p["name"]: (p["schema"]["minimum"], p["schema"]["maximum"])
        for p in operation.get("parameters", ())
        if p["in"] == "query" and p["schema"].get("type") == "integer"
    }


@bp.get("/openapi.json")
def document():
    return jsonify(openapi_document())
