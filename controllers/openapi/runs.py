"""Runs and model versions in the OpenAPI document."""

from controllers.openapi.building import (
    TEXT,
    body,
    file_response,
    json_response,
    list_of,
    nullable,
    obj,
    operation,
    parameter,
    ref,
)
from entity.run import KINDS, TRIGGERS
from entity.validators import INT64_MAX


def paths():
    """{path: {method: operation}} of this area."""
    run = ref("Run")
    return {
        "/projects/{project_id}/runs": {
            "post": operation(
                "Start a training or a prediction.",
                "admin",
                {"202": json_response(run, "Queued")},
                request=body(
                    obj(
                        ["kind"],
                        kind={"enum": list(KINDS)},
                        files={"enum": ["new", "all"]},
                    )
                ),
                errors=("409",),
            ),
            "get": operation(
                "The project's runs, newest first.",
                "viewer",
                {"200": json_response(list_of(run, "runs"))},
                query=[parameter("trigger", "query", {"enum": list(TRIGGERS)})],
            ),
        },
        "/runs/{run_id}": {
            "get": operation("One run.", "viewer", {"200": json_response(run)}),
            "delete": operation(
                "Start deleting a finished run: its log, predictions and drift report, then it.",
                "admin",
                {"202": json_response(ref("Deletion"), "Deletion started")},
                errors=("409",),
            ),
        },
        "/runs/{run_id}/logs": {
            "get": operation(
                "The run's log lines after a cursor, with its live state.",
                "viewer",
                {
                    "200": json_response(
                        obj(
                            ["records", "next", "status"],
                            records={"type": "array"},
                            next={"type": "integer"},
                            status=TEXT,
                        )
                    )
                },
                query=[
                    parameter(
                        "after",
                        "query",
                        {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
                        description="The `next` of the previous page.",
                    )
                ],
            )
        },
        "/runs/{run_id}/cancel": {
            "post": operation(
                "Cancel a run.", "admin", {"200": json_response(run)}, errors=("409",)
            )
        },
        "/runs/{run_id}/drift": {
            "get": operation(
                "A prediction run's drift report.",
                "viewer",
                {"200": json_response({"type": "object"})},
            )
        },
        "/runs/{run_id}/review": {
            "post": operation(
                "Release or discard a held prediction.",
                "admin",
                {"200": json_response(run)},
                request=body(obj(["decision"], decision={"enum": ["release", "discard"]})),
                errors=("409", "502"),
            )
        },
        "/runs/{run_id}/predictions": {
            "get": operation(
                "A prediction run's CSV.",
                "viewer",
                {"200": file_response("text/csv", "The predictions")},
                errors=("502",),
            )
        },
        "/projects/{project_id}/models": {
            "get": operation(
                "The project's model versions.",
                "viewer",
                {
                    "200": json_response(
                        obj(
                            ["production_version", "models"],
                            production_version=nullable("integer"),
                            models={"type": "array", "items": ref("ModelVersion")},
                        )
                    )
                },
            )
        },
        "/projects/{project_id}/models/{version}/promote": {
            "post": operation(
                "Make a version production.",
                "admin",
                {"200": json_response(ref("ModelVersion"))},
                errors=("409", "502"),
            )
        },
        "/projects/{project_id}/models/{version}/plots": {
            "get": operation(
                "A version's report figures and tables.",
                "viewer",
                {
                    "200": json_response(
                        obj(
                            ["version", "figures"],
                            version={"type": "integer"},
                            figures={"type": "array"},
                            tables={},
                        )
                    )
                },
                errors=("502",),
            )
        },
        "/projects/{project_id}/models/{version}/plots/{name}.svg": {
            "get": operation(
                "One report figure.",
                "viewer",
                {"200": file_response("image/svg+xml", "The figure")},
                errors=("502",),
            )
        },
        "/projects/{project_id}/models/{version}/report": {
            "get": operation(
                "A version's report as one HTML page.",
                "viewer",
                {"200": file_response("text/html", "The report")},
                errors=("502",),
            )
        },
    }
