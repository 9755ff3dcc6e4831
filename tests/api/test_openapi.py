"""The OpenAPI document is the contract: served by the app, parsed whole by schemathesis, and
listing exactly the app's /api/v1 routes, so neither can drift from the other."""

import schemathesis
from schemathesis.core.result import Ok

from controllers.openapi import openapi_document, openapi_path

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app):
    """{(OpenAPI path, method)} of every /api/v1 route the app serves."""
    return {
        (openapi_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - IGNORED_METHODS
    }


def documented(document):
    return {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_the_document_lists_exactly_the_api_routes(app):
    served, written = api_routes(app), documented(openapi_document())
    assert served - written == set(), "routes missing from controllers/openapi.py"
    assert written - served == set(), "documented operations the app does not serve"


def test_the_document_is_served_without_a_token_and_parses(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"
    assert documented(response.json) == documented(openapi_document())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert all(isinstance(result, Ok) for result in schema.get_all_operations())
    for path, method in documented(response.json):
        assert schema[path][method].label == f"{method} {path}"


def test_every_operation_documents_its_errors_and_path_parameters():
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "404"} <= set(operation["responses"]), (method, path)
            in_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert in_path == {part[1:].split("}")[0] for part in path.split("/") if "{" in part}


def test_declared_integer_parameters_are_enforced(client, team):
    viewer = team.headers("viewer")
    cid = client.get("/api/v1/connections", headers=viewer).json[0]["id"]
    response = client.get(f"/api/v1/connections/{cid}/files?limit=1001", headers=viewer)
    assert response.status_code == 400
    assert response.json["error"]["details"] == {"field": "'limit'"}
