"""Deciding on predictions held back because their batch drifted: release or discard.

A held run ends ``needs_review`` with its predictions in the project's held folder. An admin
releases them (moved into the predictions folder, the run ends ``succeeded``) or discards
them (deleted, the run ends ``discarded``). The decision is claimed on the run record first,
so two admins deciding at once cannot both act, and a decision whose storage step fails
leaves the run waiting as before.
"""

from exception_layer.errors import AppError, Conflict, ValidationError
from integration.layout import PREDICTIONS, project_path
from integration.registry import project_storage

DECISIONS = ("released", "discarded")


def decide(store, workspace_id, run_id, decision, actor):
    """Release or discard a held run's predictions; return the finished run."""
    if decision not in DECISIONS:
        raise ValidationError("Choose to release or to discard the held predictions.")
    run = store.runs.get(workspace_id, run_id)
    if run.status != "needs_review":
        raise Conflict("This run is not waiting for a review.")
    claimed = store.runs.claim_review(workspace_id, run.id, decision, actor.email)
    if claimed is None:
        raise Conflict("Another admin is deciding on this run right now, or already did.")
    project = store.projects.get(workspace_id, run.project_id)
    try:
        values = _apply(project_storage(store, project), project, claimed, actor)
    except AppError:
        store.runs.drop_review_claim(claimed)
        raise
    return store.runs.settle_review(claimed, values)


def _apply(storage, project, run, actor):
    """Move or delete the held file; the run fields that record what was done."""
    held = run.held_path
    if run.review["decision"] == "released":
        target = project_path(project.root, PREDICTIONS, held.rsplit("/", 1)[-1])
        storage.move(held, target)
        message = f"Released by {actor.email} after review. {_after_hold(run.message)}"
        return {"output_path": target, "held_path": None, "message": message, "percent": 100.0}
    storage.delete_file(held)
    message = f"Discarded by {actor.email} after review. {_after_hold(run.message)}"
    return {"held_path": None, "message": message}


def _after_hold(message):
    """The run's message without its "Held for review:" prefix."""
    prefix = "Held for review: "
    return message[len(prefix) :] if message and message.startswith(prefix) else message or ""
