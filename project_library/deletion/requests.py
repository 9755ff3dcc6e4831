"""Asking for a deletion: check it may happen, mark what is going, and record the job.

The job itself (``steps``) runs in the background; each request returns the ``Deletion``
at once, or the one already under way for the same target.
"""

from entity.deletion import FILE_CHOICES, Deletion
from exception_layer.errors import Conflict, PermissionDenied, ValidationError


def requester(actor):
    """A snapshot of who asked, kept on the job (and later on the audit event)."""
    if actor is None:
        return {}
    return {
        "type": "user",
        "id": str(actor.id),
        "name": getattr(actor, "name", ""),
        "email": getattr(actor, "email", ""),
    }


def _storage_of(project):
    return {"root": project.root, "connection_id": project.connection_id}


def _create(store, workspace_id, target, actor, files="platform"):
    """The target's job under way, or a new one."""
    existing = store.deletions.active_for(target["type"], target["id"])
    if existing is not None:
        return existing
    deletion = Deletion(workspace_id, target, files=files, requested_by=requester(actor))
    return store.deletions.create(deletion)


def refuse_if_deleting(project):
    if project.deletion_id:
        raise Conflict("This project is being deleted.", code="project_deleting")


def request_project_deletion(store, workspace_id, project_id, files, actor):
    """Delete a project: ``files`` is ``platform`` (what the platform wrote; the batch files
    stay) or ``all`` (the project's whole folder). The project is marked at once, so runs,
    the prediction endpoint and the ticker leave it alone from this moment."""
    files = files or "platform"
    if files not in FILE_CHOICES:
        raise ValidationError("'files' is 'platform' or 'all'.", details={"field": "files"})
    project = store.projects.get(workspace_id, project_id)
    if files == "all" and not project.root:
        raise ValidationError(
            "This project's folder is the storage root, which is never removed whole; "
            "choose to remove what the platform wrote."
        )
    target = {"type": "project", "id": project.id, "name": project.name, **_storage_of(project)}
    deletion = _create(store, workspace_id, target, actor, files)
    store.projects.mark_deleting(workspace_id, project.id, deletion.id)
    return deletion


def request_version_deletion(store, workspace_id, project_id, version, actor):
    """Delete one model version (its folder and report); never the production one."""
    project = store.projects.get(workspace_id, project_id)
    refuse_if_deleting(project)
    record = store.models.get(workspace_id, project.id, version)
    if record.version == project.production_version:
        raise Conflict(
            f"Version {record.version} is the production model; promote another first.",
            code="production_version",
        )
    target = {
        "type": "model_version",
        "id": record.id,
        "name": f"{project.name} v{record.version}",
        "project_id": project.id,
        "version": record.version,
        **_storage_of(project),
    }
    return _create(store, workspace_id, target, actor)


def request_run_deletion(store, workspace_id, run_id, actor):
    """Delete a finished run: its archived log, predictions and drift report, then it."""
    run = store.runs.get(workspace_id, run_id)
    if run.active:
        raise Conflict(
            f"The run is still {run.status}; cancel it or wait for it to finish.",
            code="run_active",
        )
    project = store.projects.get(workspace_id, run.project_id)
    target = {
        "type": "run",
        "id": run.id,
        "name": f"{run.kind} run of {project.name}",
        "project_id": project.id,
        **_storage_of(project),
    }
    return _create(store, workspace_id, target, actor)


def request_workspace_deletion(store, workspace_id, actor, confirm):
    """Delete a workspace: only its owner, with its name typed; its projects (keeping their
    batch files), its connections and members, then the workspace."""
    workspace = store.workspaces.get(workspace_id)
    membership = store.workspaces.membership(workspace_id, str(actor.id))
    if membership is None or membership.role != "owner":
        raise PermissionDenied("Only an owner of the workspace can delete it.")
    if workspace.personal:
        raise Conflict("A personal workspace cannot be deleted.", code="personal_workspace")
    if not isinstance(confirm, str) or confirm.strip() != workspace.name:
        raise ValidationError(
            f"Type the workspace's name, '{workspace.name}', to confirm.",
            details={"field": "confirm"},
        )
    target = {"type": "workspace", "id": workspace.id, "name": workspace.name}
    return _create(store, workspace_id, target, actor)
