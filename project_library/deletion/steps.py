"""The steps of each kind of deletion, in order; every step is idempotent, so a job resumed
after its process died runs them all again and completes.

A project: pause (mark it, pause its schedules and watcher, cancel its runs and wait for
them to stop), delete its files, list again to confirm none is left, then drop its records.
A model version and a run: their own files, confirm, their records. A workspace: each of its
projects as above (keeping the batch files), then its connections, members and itself.
Records always go last: while a file is left, the records that name it stay.
"""

import time
from dataclasses import dataclass, field
from functools import partial

from entity.project import Project
from exception_layer.errors import Conflict, NotFound, StorageError
from integration.layout import PREDICTIONS, log_path, models_folder, project_path, report_path
from integration.registry import project_storage
from project_library.deletion.files import (
    confirm_empty,
    delete_below,
    delete_files,
    project_folders,
)
from project_library.deletion.records import drop_project_records, drop_run_records
from project_library.models.artifacts import version_folder


class ClaimLost(Exception):
    """Another process took the job over (this one was thought dead): stop, write nothing."""


@dataclass
class JobContext:
    """What a step needs: the store, the job, and ``report(step=, objects=, records=)``,
    which records progress and raises ``ClaimLost`` when the job is no longer ours."""

    store: object
    deletion: object
    report: object
    run_wait_s: float = 600.0  # how long the project's runs may take to stop
    sleep: object = field(default=time.sleep)

    @property
    def workspace_id(self):
        return self.deletion.workspace_id

    def count_objects(self, count):
        self.report(objects=count)


def steps_for(deletion):
    """(name, step) pairs of the job, in order; each step takes the ``JobContext``."""
    target = deletion.target
    if target["type"] == "project":
        return project_steps(target, deletion.files)
    if target["type"] == "model_version":
        return (
            ("check_production", check_not_production),
            ("delete_files", delete_version_files),
            ("confirm", confirm_version_files),
            ("drop_records", drop_version_record),
        )
    if target["type"] == "run":
        return (
            ("delete_files", delete_run_files),
            ("confirm", confirm_run_files),
            ("drop_records", drop_run),
        )
    return (
        ("delete_projects", delete_workspace_projects),
        ("drop_records", drop_workspace_records),
    )


def storage_of(store, workspace_id, target):
    """The adapter of the target's project, from what the job kept (the project's record
    may be gone already when a job resumes)."""
    probe = Project(
        workspace_id=workspace_id,
        name=target.get("name", ""),
        connection_id=target.get("connection_id"),
        root=target.get("root", ""),
    )
    return project_storage(store, probe), probe


# -- a project ---------------------------------------------------------------------------
def project_steps(target, files):
    return (
        ("pause", partial(pause_project, target=target)),
        ("delete_files", partial(delete_project_files, target=target, files=files)),
        ("confirm", partial(confirm_project_files, target=target, files=files)),
        ("drop_records", partial(drop_project, target=target)),
    )


def pause_project(ctx, target):
    """Nothing may write while the files go: mark the project, pause its schedules and
    watcher, cancel its runs and wait until none is active."""
    store, workspace_id = ctx.store, ctx.workspace_id
    try:
        store.projects.mark_deleting(workspace_id, target["id"], ctx.deletion.id)
    except NotFound:  # an earlier attempt dropped the records already
        return
    store.schedules.pause_for_project(workspace_id, target["id"])
    store.watchers.pause_for_project(workspace_id, target["id"])
    stop_runs(ctx, target["id"])


def stop_runs(ctx, project_id):
    deadline = time.monotonic() + ctx.run_wait_s
    while active := ctx.store.runs.active_for_project(ctx.workspace_id, project_id):
        for run in active:
            if not run.cancel_requested:
                try:
                    ctx.store.runs.request_cancel(ctx.workspace_id, run.id)
                except Conflict:  # it finished meanwhile
                    continue
        if time.monotonic() > deadline:
            raise Conflict(
                f"Run {active[0].id} did not stop after it was cancelled; "
                "wait for it to stop, then delete the project again."
            )
        ctx.report()
        ctx.sleep(1.0)


def delete_project_files(ctx, target, files):
    storage, _ = storage_of(ctx.store, ctx.workspace_id, target)
    for folder in project_folders(target["root"], files):
        delete_below(storage, folder, ctx.count_objects)


def confirm_project_files(ctx, target, files):
    storage, _ = storage_of(ctx.store, ctx.workspace_id, target)
    for folder in project_folders(target["root"], files):
        confirm_empty(storage, folder, ctx.count_objects)


def drop_project(ctx, target):
    ctx.report(records=drop_project_records(ctx.store, ctx.workspace_id, target["id"]))


# -- a model version ---------------------------------------------------------------------
def _version_paths(ctx):
    target = ctx.deletion.target
    storage, probe = storage_of(ctx.store, ctx.workspace_id, target)
    folder = version_folder(models_folder(probe), target["version"])
    return storage, folder, report_path(probe, target["version"])


def check_not_production(ctx):
    """Promoted since it was asked for? Then it stays."""
    target = ctx.deletion.target
    try:
        project = ctx.store.projects.get(ctx.workspace_id, target["project_id"])
    except NotFound:
        return
    if project.production_version == target["version"]:
        raise Conflict(f"Version {target['version']} became the production model meanwhile.")


def delete_version_files(ctx):
    storage, folder, report = _version_paths(ctx)
    delete_below(storage, folder, ctx.count_objects)
    delete_files(storage, [report], ctx.count_objects)


def confirm_version_files(ctx):
    storage, folder, report = _version_paths(ctx)
    confirm_empty(storage, folder, ctx.count_objects)
    _confirm_gone(storage, [report])


def drop_version_record(ctx):
    target = ctx.deletion.target
    ctx.report(
        records=ctx.store.models.delete_version(
            ctx.workspace_id, target["project_id"], target["version"]
        )
    )


# -- a run -------------------------------------------------------------------------------
def _run_paths(ctx):
    """The run's own files: its archived log, predictions (released or held) and drift
    report; none when its record went already (an earlier attempt confirmed them gone)."""
    target = ctx.deletion.target
    storage, probe = storage_of(ctx.store, ctx.workspace_id, target)
    try:
        run = ctx.store.runs.get(ctx.workspace_id, target["id"])
    except NotFound:
        return storage, []
    paths = [log_path(probe, run), run.output_path, run.held_path]
    return storage, [p for p in paths if p] + drift_reports(storage, probe, run.id)


def drift_reports(storage, project, run_id):
    """``predictions/drift_<stamp>_<run id>.json``, found by the run id, a page at a time."""
    folder, page, found = project_path(project.root, PREDICTIONS), None, []
    while True:
        try:
            listing = storage.list(folder, page=page)
        except NotFound:
            return found
        found += [
            entry.path
            for entry in listing.files
            if entry.name.startswith("drift_") and entry.name.endswith(f"_{run_id}.json")
        ]
        page = listing.next
        if not page:
            return found


def delete_run_files(ctx):
    storage, paths = _run_paths(ctx)
    delete_files(storage, paths, ctx.count_objects)


def confirm_run_files(ctx):
    storage, paths = _run_paths(ctx)
    _confirm_gone(storage, paths)


def drop_run(ctx):
    ctx.report(records=drop_run_records(ctx.store, ctx.workspace_id, ctx.deletion.target["id"]))


def _confirm_gone(storage, paths):
    left = [path for path in paths if storage.exists(path)]
    if left:
        raise StorageError(f"Files are still in storage after deleting: '{left[0]}'.")


# -- a workspace -------------------------------------------------------------------------
def delete_workspace_projects(ctx):
    """Each project as a project deletion keeping its batch files, one after the other."""
    for project in ctx.store.projects.list(ctx.workspace_id):
        target = {
            "type": "project",
            "id": project.id,
            "name": project.name,
            "root": project.root,
            "connection_id": project.connection_id,
        }
        for name, step in project_steps(target, "platform"):
            ctx.report(step=f"project {project.id}: {name}")
            step(ctx)


def drop_workspace_records(ctx):
    """Its connections, then its members and the workspace itself."""
    store = ctx.store
    removed = store.connections.delete_for_workspace(ctx.workspace_id)
    removed += store.workspaces.delete(ctx.workspace_id)
    ctx.report(records=removed)
