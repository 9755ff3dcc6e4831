"""JSON API for schedules and watchers (docs/api.md, "Automation")."""

from flask import jsonify

from controllers.access import require_role
from controllers.api_support import api_blueprint, json_body
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, now, workspace, workspace_id
from project_library.automation import schedules, watchers

bp = api_blueprint("automation_api", __name__)


@bp.post("/projects/<project_id>/schedules")
@require_role("admin")
def create_schedule(project_id):
    get_store().projects.get(workspace_id(), project_id)  # 404 before 400
    created = schedules.create_schedule(
        get_store(), workspace(), project_id, json_body(), actor(), now()
    )
    after = schedules.to_json(created)
    audit(
        "schedule.create", target=target("schedule", created.id, created.description), after=after
    )
    return jsonify(after), 201


@bp.get("/projects/<project_id>/schedules")
@require_role("viewer")
def list_schedules(project_id):
    _, found = schedules.project_schedules(get_store(), workspace_id(), project_id)
    return jsonify({"schedules": [schedules.to_json(s) for s in found]})


@bp.get("/projects/<project_id>/schedules/<schedule_id>")
@require_role("viewer")
def get_schedule(project_id, schedule_id):
    return jsonify(schedules.to_json(_schedule(project_id, schedule_id)))


@bp.patch("/projects/<project_id>/schedules/<schedule_id>")
@require_role("admin")
def update_schedule(project_id, schedule_id):
    before = schedules.to_json(_schedule(project_id, schedule_id))  # 404 before 400
    updated = schedules.update_schedule(get_store(), workspace(), schedule_id, json_body(), now())
    after = schedules.to_json(updated)
    audit(
        "schedule.update",
        target=target("schedule", updated.id, updated.description),
        before=before,
        after=after,
    )
    return jsonify(after)


@bp.delete("/projects/<project_id>/schedules/<schedule_id>")
@require_role("admin")
def delete_schedule(project_id, schedule_id):
    schedule = _schedule(project_id, schedule_id)
    schedules.delete_schedule(get_store(), workspace_id(), schedule.id)
    audit("schedule.delete", target=target("schedule", schedule.id, schedule.description))
    return "", 204


@bp.get("/projects/<project_id>/watch")
@require_role("viewer")
def get_watch(project_id):
    return jsonify(watchers.to_json(watchers.watch_state(get_store(), workspace_id(), project_id)))


@bp.put("/projects/<project_id>/watch")
@require_role("admin")
def put_watch(project_id):
    get_store().projects.get(workspace_id(), project_id)  # 404 before 400
    state = watchers.configure_watch(get_store(), workspace_id(), project_id, json_body(), now())
    audit("watcher.update", target=target("project", project_id), after=watchers.to_json(state))
    return jsonify(watchers.to_json(state))


def _schedule(project_id, schedule_id):
    """The project's schedule; a schedule of another project or workspace is a 404."""
    return schedules.project_schedule(get_store(), workspace_id(), project_id, schedule_id)
