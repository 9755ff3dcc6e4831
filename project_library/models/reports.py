"""A model version's report: its figures and tables, the HTML report, and how it compares
with the production version.

The figures and the report are attachments signed in the version's manifest
(``project_library.pipelines.version_files`` writes them at training time), so every read
verifies them. A version is immutable, so what verified once is kept in a small
per-process cache keyed by the attachment's signed digest: the Model page does not re-read
storage on every view.
"""

import json
import threading
from collections import OrderedDict

from exception_layer.errors import NotFound
from integration.layout import models_folder
from integration.registry import project_storage
from project_library.models import artifacts

FIGURES = "figures.json"
REPORT = "report.html"
CACHE_SIZE = 32

_cache = OrderedDict()
_lock = threading.Lock()


def _cached(key, load):
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = load()
    with _lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _attachment(store, secret, project, record, name):
    """The verified bytes of one of ``record``'s attachments (NotFound when it has none)."""
    entry = (record.attachments or {}).get(name)
    if entry is None:
        raise NotFound(
            f"Model v{record.version} has no report: it was trained before reports existed. "
            "Train a new version to get one."
        )

    def load():
        return artifacts.read_attachment(
            project_storage(store, project),
            models_folder(project),
            record.version,
            name,
            secret,
            expected={"workspace_id": project.workspace_id, "project_id": project.id},
        )

    return _cached((project.id, record.version, name, entry.get("sha256")), load)


def version_with_report(store, secret, workspace_id, project_id, version):
    """(project, version record, {"figures": [...], "tables": {...}} or None)."""
    project = store.projects.get(workspace_id, project_id)
    record = store.models.get(workspace_id, project.id, version)
    if FIGURES not in (record.attachments or {}):
        return project, record, None
    raw = _attachment(store, secret, project, record, FIGURES)
    return project, record, _cached(("parsed", project.id, record.version), lambda: json.loads(raw))


def figure(report, name):
    """One figure of a report by name, or NotFound."""
    for item in (report or {}).get("figures", ()):
        if item["name"] == name:
            return item
    raise NotFound(f"This model version has no figure named '{name}'.")


def figure_svg(store, secret, workspace_id, project_id, version, name):
    """The SVG text of one of a version's figures (the page and the API serve it alike)."""
    _, _, report = version_with_report(store, secret, workspace_id, project_id, version)
    return figure(report, name)["svg"]


def report_html(store, secret, workspace_id, project_id, version):
    """(project, record, the self-contained HTML report's bytes)."""
    project = store.projects.get(workspace_id, project_id)
    record = store.models.get(workspace_id, project.id, version)
    return project, record, _attachment(store, secret, project, record, REPORT)


def comparison(store, secret, project, record):
    """How ``record`` compares with the production version: metric deltas and its report."""
    current = project.production_version
    if current is None or current == record.version:
        return None
    try:
        _, production, report = version_with_report(
            store, secret, project.workspace_id, project.id, current
        )
    except NotFound:
        return None
    deltas = []
    for name, value in (record.metrics or {}).items():
        other = (production.metrics or {}).get(name)
        if other is not None:
            deltas.append({"name": name, "production": other, "delta": value - other})
    return {"production": production, "deltas": deltas, "report": report}
