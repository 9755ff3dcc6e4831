"""Deletions in the OpenAPI document: the DELETE operations that have no other verbs on their
path, and the deletion job they answer with (``DELETE /projects/{id}`` and ``DELETE
/runs/{id}`` sit with their paths' other verbs)."""

from controllers.openapi.building import TEXT, body, json_response, obj, operation, ref


def paths():
    """{path: {method: operation}} of this area."""
    started = {"202": json_response(ref("Deletion"), "Deletion started")}
    return {
        "/projects/{project_id}/models/{version}": {
            "delete": operation(
                "Start deleting a model version (its folder and report); never the production one.",
                "admin",
                started,
                errors=("409",),
            )
        },
        "/workspaces/{workspace_id}": {
            "delete": operation(
                "Start deleting a workspace: its projects (batch files kept), connections and "
                "members. Its owners only, with its name typed.",
                "owner",
                started,
                request=body(obj(["confirm"], confirm=TEXT)),
                errors=("409",),
            )
        },
        "/deletions/{deletion_id}": {
            "get": operation(
                "A deletion's state: deleting, deleted or failed, with its counts.",
                "viewer",
                {"200": json_response(ref("Deletion"))},
            )
        },
    }
