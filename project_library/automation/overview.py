"""What the project page shows about a project's automation: its schedules and its watcher."""

from exception_layer.errors import NotFound
from project_library.automation import schedules, watchers


def automation_overview(store, workspace_id, project_id):
    """``{"schedules": [schedule JSON], "watcher": watcher JSON}`` (the API's views), with the
    current status of the run each last started (``run_status``, None when it is gone)."""
    project, found = schedules.project_schedules(store, workspace_id, project_id)
    watcher = watchers.to_json(store.watchers.get(workspace_id, project.id))
    listed = [schedules.to_json(schedule) for schedule in found]
    for started in [s["last_outcome"] for s in listed] + [watcher["last_run"]]:
        if started and started.get("run_id"):
            started["run_status"] = _status(store, workspace_id, started["run_id"])
    return {"schedules": listed, "watcher": watcher}


def _status(store, workspace_id, run_id):
    try:
        return store.runs.get(workspace_id, run_id).status
    except NotFound:
        return None
