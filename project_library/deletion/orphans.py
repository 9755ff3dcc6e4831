"""Orphans: files under a project's root that no record knows, and records whose files are gone.

What the platform writes is named after the record it belongs to (``models/v<N>/``,
``reports/model_v<N>.html``, ``predictions/predictions_<time>_<run>.csv``,
``predictions/drift_<time>_<run>.json``, ``predictions_held/…``, ``logs/<kind>_<time>_<run>.log``,
``quarantine/<validation>/…``), so each file can be matched to its record. The team's batch
folders are theirs and never orphans. ``flask storage orphans`` prints the findings;
``--delete`` removes orphaned files older than a day (younger ones may belong to a run that
is writing them right now).
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from exception_layer.errors import AppError
from integration.layout import (
    HELD_PREDICTIONS,
    LOGS,
    MODELS,
    PLATFORM_FOLDERS,
    PREDICTIONS,
    QUARANTINE,
    REPORTS,
    project_path,
)
from integration.registry import project_storage

MIN_AGE = timedelta(days=1)
_RUN_FILE = re.compile(r"_([0-9a-f]{24})\.[a-z]+$")
_VERSION_FOLDER = re.compile(r"^v(\d+)$")
_REPORT_FILE = re.compile(r"^model_v(\d+)\.html$")


@dataclass
class ProjectOrphans:
    project_id: str
    project_name: str
    files: list = field(default_factory=list)  # storage Entries no record knows
    missing: list = field(default_factory=list)  # {"record", "id", "path"} whose file is gone
    error: str | None = None  # the storage could not be read


def _known(store, workspace_id, project):
    """(model versions, run ids, validation ids) the records hold for ``project``."""
    versions = {v.version for v in store.models.list(workspace_id, project.id)}
    runs = store.runs.list(workspace_id, project.id, limit=100_000)
    validations = {
        v["id"] for v in store.validations.list_for_project(workspace_id, project.id, 100_000)
    }
    return versions, runs, validations


def _belongs(relative, versions, run_ids, validations):
    """True when the file at ``relative`` (below the project root) has its record."""
    folder, _, rest = relative.partition("/")
    name = relative.rsplit("/", 1)[-1]
    if folder == MODELS:
        match = _VERSION_FOLDER.match(rest.split("/", 1)[0])
        return bool(match) and int(match.group(1)) in versions
    if folder == REPORTS:
        match = _REPORT_FILE.match(name)
        return bool(match) and int(match.group(1)) in versions
    if folder in (PREDICTIONS, HELD_PREDICTIONS, LOGS):
        match = _RUN_FILE.search(name)
        return bool(match) and match.group(1) in run_ids
    if folder == QUARANTINE:
        return rest.split("/", 1)[0] in validations
    return True  # the team's batch folders, and anything the platform did not write


def project_orphans(store, workspace_id, project):
    """The orphans of one project (its storage read once, folder by folder)."""
    found = ProjectOrphans(project.id, project.name)
    versions, runs, validations = _known(store, workspace_id, project)
    run_ids = {r.id for r in runs}
    try:
        storage = project_storage(store, project)
        present = set()
        for folder in PLATFORM_FOLDERS:
            for entry in storage.walk(project_path(project.root, folder)):
                relative = (
                    entry.path[len(project.root) :].lstrip("/") if project.root else entry.path
                )
                present.add(entry.path)
                if not _belongs(relative, versions, run_ids, validations):
                    found.files.append(entry)
    except AppError as error:
        found.error = error.message
        return found
    for version in sorted(versions):
        manifest = project_path(project.root, MODELS, f"v{version}", "manifest.json")
        if manifest not in present:
            found.missing.append({"record": "model_version", "id": version, "path": manifest})
    for run in runs:
        for path in (run.output_path, run.held_path):
            if path and path not in present:
                found.missing.append({"record": "run", "id": run.id, "path": path})
    return found


def workspace_orphans(store, workspace_id):
    return [project_orphans(store, workspace_id, p) for p in store.projects.list(workspace_id)]


def delete_orphans(store, workspace_id, findings, now=None):
    """Delete the orphaned files older than ``MIN_AGE``; return how many went."""
    cutoff = (now or datetime.now(UTC)) - MIN_AGE
    removed = 0
    for found in findings:
        old = [e for e in found.files if e.modified is not None and e.modified < cutoff]
        if not old:
            continue
        storage = project_storage(store, store.projects.get(workspace_id, found.project_id))
        for entry in old:
            storage.delete_file(entry.path)
            removed += 1
    return removed
