"""Schedules and storage watchers in the OpenAPI document."""

from controllers.openapi.building import body, json_response, list_of, obj, operation, ref
from entity.watcher import TRAINING_MODES


def paths():
    """{path: {method: operation}} of this area."""
    schedule = ref("Schedule")
    watch_body = obj(training={"enum": list(TRAINING_MODES)}, prediction={"type": "boolean"})
    return {
        "/projects/{project_id}/schedules": {
            "post": operation(
                "Add a schedule.",
                "admin",
                {"201": json_response(schedule, "Created")},
                request=body(ref("ScheduleInput")),
            ),
            "get": operation(
                "The project's schedules.",
                "viewer",
                {"200": json_response(list_of(schedule, "schedules"))},
            ),
        },
        "/projects/{project_id}/schedules/{schedule_id}": {
            "get": operation("One schedule.", "viewer", {"200": json_response(schedule)}),
            "patch": operation(
                "Change a schedule.",
                "admin",
                {"200": json_response(schedule)},
                request=body(ref("ScheduleInput")),
            ),
            "delete": operation("Delete a schedule.", "admin", {"204": {"description": "Deleted"}}),
        },
        "/projects/{project_id}/watch": {
            "get": operation(
                "The storage watcher.", "viewer", {"200": json_response(ref("Watch"))}
            ),
            "put": operation(
                "Configure the storage watcher.",
                "admin",
                {"200": json_response(ref("Watch"))},
                request=body(watch_body),
            ),
        },
    }
