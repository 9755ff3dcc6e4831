"""Every /api/v1 operation fuzzed by schemathesis from the OpenAPI document the app serves:
no input ends in a 5xx, and every answer (status, media type, body) matches the document.

The app is the real one, on the real embedded database, built once for the module. The
caller owns their workspace (not a site administrator: a bystander registered first is one,
so a fuzzed "local" connection is refused). Path ids are either generated or, half the time,
real ids of a project, validation, run, schedule, connection and prediction token made
below, so the operations also run past their 404s; DELETE only ever gets generated ids, so
those objects stay for the operations that come after. No operation is left out.

One test per operation, listed from the document itself; each draws its cases from
schemathesis' strategies with hypothesis (``schema.parametrize()`` on a fixture-built schema
fails under pytest 9 in schemathesis 4.32.5: it reads ``request.node._nodeid``). About a
minute on two cores.
"""

import json
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from controllers.openapi import openapi_document
from entity.db import client_for
from tests.projects.factories import prediction_classic, training_classic
from tests.support import web

EXAMPLES = 100  # per operation, positive and negative: enough to reach out-of-range numbers
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(mongo_uri, tmp_path_factory):
    """(app, bearer headers, real ids by path parameter name)."""
    database = f"fuzz_{uuid.uuid4().hex[:12]}"
    app = create_app(
        {
            "TESTING": True,
            "MONGODB_URI": mongo_uri,
            "MONGODB_DB": database,
            "DATA_DIR": str(tmp_path_factory.mktemp("fuzz") / "data"),
            "SECRET_KEY": "fuzz-secret-key",
            "ENCRYPTION_KEY": "Vx2G9t0J4W5v7Yl1s2r4bA6cX8d0e2f4g6h8i0j2k4M=",
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://127.0.0.1",
            "SCHEDULER": False,
        }
    )
    web.create_user(app, "bystander@example.com")  # the first account is the site admin
    owner = web.create_user(app, "fuzz@example.com", name="Fuzz")
    headers = {"Authorization": f"Bearer {web.create_token(app, owner)}"}
    yield app, headers, _real_ids(app, headers)
    app.extensions["ticker"].stop()
    client_for(mongo_uri).drop_database(database)


def _real_ids(app, headers):
    """Ids of objects made through the API, by the name of the path parameter they fill."""
    client = app.test_client()
    body = {"name": "Fuzzed", "training_schema": training_classic()}
    body["prediction_schema"] = prediction_classic()
    project = _created(
        client.post(
            "/api/v1/projects",
            data=json.dumps(body),
            content_type="application/json",
            headers=headers,
        )
    )
    url = f"/api/v1/projects/{project['id']}"
    validation = _created(
        client.post(f"{url}/validations", json={"kind": "training"}, headers=headers)
    )
    run = _created(client.post(f"{url}/runs", json={"kind": "train"}, headers=headers))
    schedule = _created(
        client.post(
            f"{url}/schedules",
            json={"kind": "train", "every": "day", "time": "06:00"},
            headers=headers,
        )
    )
    token = _created(client.post(f"{url}/prediction-tokens", json={}, headers=headers))
    connection = client.get("/api/v1/connections", headers=headers).json[0]
    return {
        "project_id": project["id"],
        "validation_id": validation["id"],
        "run_id": run["id"],
        "schedule_id": schedule["id"],
        "token_id": token["id"],
        "connection_id": connection["id"],
        "kind": "training",
    }


def _created(response):
    assert response.status_code in (201, 202), response.json
    return response.json


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    app, _, real = fuzzed
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters or context.operation.method.upper() == "DELETE":
            return st.just(path_parameters)
        known = {name: real[name] for name in path_parameters if name in real}
        return st.sampled_from([path_parameters, {**path_parameters, **known}])

    return schema


OPERATIONS = [
    (path, method.upper())
    for path, operations in openapi_document()["paths"].items()
    for method in operations
]


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_every_operation(api_schema, fuzzed, path, method):
    _, headers, _ = fuzzed
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
