"""Projects, schemas and validations in the OpenAPI document."""

from controllers.openapi.building import (
    TEXT,
    body,
    json_response,
    list_of,
    obj,
    operation,
    parameter,
    ref,
)
from entity.deletion import FILE_CHOICES
from entity.validation import BATCHES


def paths():
    """{path: {method: operation}} of this area."""
    report = ref("Validation")
    return {
        "/projects": {
            "get": operation(
                "The workspace's projects.",
                "viewer",
                {"200": json_response(list_of(ref("Project"), "projects"))},
            ),
            "post": operation(
                "Create a project; its folders are laid out in storage.",
                "admin",
                {"201": json_response(ref("Project"), "Created")},
                request=body(ref("NewProject")),
                errors=("409", "502"),
            ),
        },
        "/projects/{project_id}": {
            "get": operation("One project.", "viewer", {"200": json_response(ref("Project"))}),
            "patch": operation(
                "Change a project.",
                "admin",
                {"200": json_response(ref("Project"))},
                request=body(ref("ProjectInput")),
                errors=("409", "502"),
            ),
            "delete": operation(
                "Start deleting a project: files=platform removes what the platform wrote and "
                "keeps the batch files, files=all removes its whole folder; then its records.",
                "admin",
                {"202": json_response(ref("Deletion"), "Deletion started")},
                query=[parameter("files", "query", {"enum": list(FILE_CHOICES)})],
                errors=("409",),
            ),
        },
        "/projects/{project_id}/schemas/{kind}": {
            "get": operation(
                "The schema as classic JSON text.",
                "viewer",
                {"200": json_response(ref("ClassicSchema"))},
            ),
            "put": operation(
                "Replace the schema (classic JSON, at most 1 MB).",
                "admin",
                {
                    "200": json_response(
                        obj(
                            ["project", "schema"],
                            project=ref("Project"),
                            schema=ref("ClassicSchema"),
                            inferred={},
                        )
                    )
                },
                request=body(ref("ClassicSchema")),
            ),
        },
        "/projects/{project_id}/validations": {
            "post": operation(
                "Validate the batch folder of a kind now.",
                "admin",
                {"201": json_response(report, "Done")},
                request=body(obj(["kind"], kind={"enum": list(BATCHES)})),
                errors=("502",),
            ),
            "get": operation(
                "The project's latest validations.",
                "viewer",
                {"200": json_response(list_of(report, "validations"))},
            ),
        },
        "/validations/{validation_id}": {
            "get": operation("One validation report.", "viewer", {"200": json_response(report)})
        },
        "/validations/{validation_id}/restore": {
            "post": operation(
                "Move a quarantined file back into its batch folder.",
                "admin",
                {"200": json_response(obj(["restored", "path"], restored=TEXT, path=TEXT))},
                request=body(obj(["name"], name=TEXT)),
                errors=("409", "502"),
            )
        },
    }
