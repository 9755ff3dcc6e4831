"""A project's storage watchers: switch them on or off, and how they stand."""

from entity.watcher import TRAINING_MODES
from exception_layer.errors import ValidationError


def configure_watch(store, workspace_id, project_id, body, moment):
    """``body``: ``{"training": "off"|"validate"|"train", "prediction": true|false}`` (either
    may be left out to keep it). Returns the watcher."""
    project = store.projects.get(workspace_id, project_id)  # 404 before the body is read
    if not isinstance(body, dict):
        raise ValidationError("The watcher settings are a JSON object.")
    unknown = sorted(set(body) - {"training", "prediction"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.")
    current = store.watchers.get(workspace_id, project.id)
    training = body.get("training", current.training)
    prediction = body.get("prediction", current.prediction)
    if training not in TRAINING_MODES:
        raise ValidationError(
            "'training' is 'off', 'validate' or 'train'.", details={"field": "training"}
        )
    if not isinstance(prediction, bool):
        raise ValidationError("'prediction' is true or false.", details={"field": "prediction"})
    return store.watchers.configure(workspace_id, project.id, training, prediction, moment)


def watch_state(store, workspace_id, project_id):
    project = store.projects.get(workspace_id, project_id)
    return store.watchers.get(workspace_id, project.id)


def to_json(watcher):
    return {
        "project_id": watcher.project_id,
        "training": watcher.training,
        "prediction": watcher.prediction,
        "active": watcher.active,
        "last_poll_at": _iso(watcher.last_poll_at),
        "next_poll_at": _iso(watcher.next_poll_at) if watcher.active else None,
        "files_seen": watcher.files_seen(),
        "files_arriving": {batch: len(p) for batch, p in (watcher.pending or {}).items()},
        "last_run": dict(watcher.last_run) if watcher.last_run else None,
        "last_error": watcher.last_error,
    }


def _iso(value):
    return value.isoformat() if value else None
