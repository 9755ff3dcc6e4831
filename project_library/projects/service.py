"""What project pages, the JSON API and the CLI share: each a small function over the
repositories and the project's storage, so every view calls one of these."""

import logging

from cloud_storage.paths import clean_path
from entity import validators
from entity.project import DEFAULT_METRIC, SETTABLE_FIELDS, Project, check_fields
from entity.validation import BATCHES
from exception_layer.errors import AppError, Conflict, ValidationError
from integration.registry import project_storage
from project_library.projects import sample
from project_library.projects import setup as project_setup
from project_library.validation.schema import infer_target, infer_task, parse_schema

logger = logging.getLogger(__name__)


def default_connection_id(store, workspace_id):
    return store.connections.ensure_default(workspace_id).id


def connection_choices(store, workspace_id):
    repo = store.connections
    repo.ensure_default(workspace_id)
    return [(c.id, c.name) for c in repo.list(workspace_id)]


def _check_connection(store, workspace_id, connection_id):
    if connection_id:
        store.connections.get(workspace_id, connection_id)  # NotFound if foreign
        return connection_id
    return default_connection_id(store, workspace_id)


def _check_name(store, workspace_id, name):
    if store.projects.find_by_name(workspace_id, name):
        raise Conflict(f"A project named '{name}' already exists here.")


def _clean_root(root, fallback):
    """The project's folder: a safe storage path (``fallback`` when left empty)."""
    if root is not None and not isinstance(root, str):
        raise ValidationError("The project folder must be text.", details={"field": "root"})
    return clean_path((root or "").strip("/ ") or fallback)


def _check_root(store, workspace_id, connection_id, root, project_id=None):
    for other in store.projects.list(workspace_id):
        if other.id != project_id and other.connection_id == connection_id and other.root == root:
            raise Conflict(f"The project '{other.name}' already uses the folder '{root}'.")


def apply_schema_inference(project, values):
    """Fill target and task from the schemas when the person left them open; return hints."""
    training = values.get("training_schema", project.training_schema)
    prediction = values.get("prediction_schema", project.prediction_schema)
    hints = inferred_settings(training, prediction)
    if not values.get("target", project.target) and hints.get("target"):
        values["target"] = hints["target"]
    if not values.get("task", project.task) and hints.get("task"):
        values["task"] = hints["task"]
    return hints


def inferred_settings(training, prediction):
    """{'target', 'task', 'task_reason'} as far as the schemas tell."""
    try:
        training_schema = parse_schema(training) if training else None
        prediction_schema = parse_schema(prediction) if prediction else None
    except AppError:
        return {}
    target = infer_target(training_schema, prediction_schema)
    if not target:
        return {}
    task, reason = infer_task(training_schema.column(target).type)
    return {"target": target, "task": task, "task_reason": reason}


def _check_columns(values, training):
    if not training:
        return
    names = set(parse_schema(training).names)
    target = values.get("target")
    if target and target not in names:
        raise ValidationError(f"The training schema has no column '{target}'.")
    for key in ("ignore_columns", "id_columns"):
        unknown = [c for c in values.get(key) or [] if c not in names]
        if unknown:
            raise ValidationError(
                f"Unknown column(s) in {key.replace('_', ' ')}: " + ", ".join(unknown) + "."
            )
        if target and target in (values.get(key) or []):
            raise ValidationError("The target cannot also be ignored or an identifier.")


def _no_schema(value):
    """Null or an empty form field means no schema; anything else (``{}`` too) is parsed."""
    return value is None or value == ""


def create_project(store, workspace_id, values, created_by=None):
    """Check everything, then lay out the folders and store the project: a create refused
    for any reason writes nothing (``setup.create_project`` takes back a failed write)."""
    values = {"name": "", **values}
    for batch in BATCHES:
        key = f"{batch}_schema"
        if _no_schema(values.get(key)):
            values.pop(key, None)
        else:
            schema = parse_schema(values[key])
            values.setdefault("schema_texts", {})[batch] = schema.export()
            values[key] = schema.to_classic()
    apply_schema_inference(Project(workspace_id=workspace_id, name=""), values)
    if values.get("task") and not values.get("metric"):
        values["metric"] = DEFAULT_METRIC.get(values["task"])
    values = check_fields(values)
    _check_columns(values, values.get("training_schema"))
    _check_name(store, workspace_id, values["name"])
    values["connection_id"] = _check_connection(store, workspace_id, values.get("connection_id"))
    values["root"] = _clean_root(values.get("root"), project_setup.slug(values["name"]))
    _check_root(store, workspace_id, values["connection_id"], values["root"])
    project = Project(workspace_id=workspace_id, created_by=created_by, **values)
    storage = project_storage(store, project)
    return project_setup.create_project(store.projects, storage, project)


def update_project(store, workspace_id, project_id, values):
    repo = store.projects
    project = repo.get(workspace_id, project_id)
    values = dict(values)
    texts = dict(project.schema_texts or {})
    for batch in BATCHES:
        key = f"{batch}_schema"
        if key in values:
            texts.pop(batch, None)
            if _no_schema(values[key]):
                values[key] = None
            else:
                schema = parse_schema(values[key])
                values[key] = schema.to_classic()
                texts[batch] = schema.export()
            values["schema_texts"] = texts
    if "connection_id" in values:
        values["connection_id"] = _check_connection(store, workspace_id, values["connection_id"])
    if "root" in values:
        values["root"] = _clean_root(values["root"], project.root)
    if "connection_id" in values or "root" in values:
        connection_id = values.get("connection_id", project.connection_id)
        root = values.get("root", project.root)
        _check_root(store, workspace_id, connection_id, root, project.id)
    if values.get("task") and values.get("task") != project.task and "metric" not in values:
        values["metric"] = DEFAULT_METRIC.get(values["task"])
    merged = {**_as_values(project), **values}
    check_fields(merged)
    _check_columns(merged, merged.get("training_schema"))
    updated = repo.update(workspace_id, project_id, **values)
    if "connection_id" in values or "root" in values:
        project_setup.lay_out_folders(project_storage(store, updated), updated.root)
    return updated


def _as_values(project):
    return {key: getattr(project, key) for key in SETTABLE_FIELDS}


def save_schema(store, workspace_id, project_id, batch, source):
    """Store a schema given as classic text, bytes or dict; keep the text for export."""
    if batch not in BATCHES:
        raise ValidationError("The schema is 'training' or 'prediction'.")
    repo = store.projects
    project = repo.get(workspace_id, project_id)
    schema = parse_schema(source)
    texts = dict(project.schema_texts or {})
    texts[batch] = schema.export()
    values = {f"{batch}_schema": schema.to_classic(), "schema_texts": texts}
    hints = apply_schema_inference(project, values)
    if values.get("task") and not project.metric:
        values["metric"] = DEFAULT_METRIC.get(values["task"])
    updated = repo.update(workspace_id, project_id, **values)
    return updated, hints


def export_schema(project, batch):
    classic = project.training_schema if batch == "training" else project.prediction_schema
    if not classic:
        return None
    schema = parse_schema(classic)
    text = (project.schema_texts or {}).get(batch)
    if text:
        try:
            if parse_schema(text) == schema:
                return text
        except AppError:
            pass
    return schema.export()


def create_sample(store, workspace_id, created_by=None, connection_id=None):
    repo = store.projects
    connection_id = _check_connection(store, workspace_id, connection_id)
    name = sample.SAMPLE_NAME
    taken = {p.name for p in repo.list(workspace_id)}
    number = 2
    while name in taken:
        name = f"{sample.SAMPLE_NAME} {number}"
        number += 1
    root = project_setup.slug(name)
    _check_root(store, workspace_id, connection_id, root)
    probe = Project(workspace_id=workspace_id, name=name, connection_id=connection_id, root=root)
    return sample.create_sample_project(
        repo,
        project_storage(store, probe),
        workspace_id=workspace_id,
        connection_id=connection_id,
        created_by=created_by,
        name=name,
        root=root,
    )


def import_files(
    store,
    workspace_id,
    files,
    *,
    name,
    connection_id=None,
    target=None,
    task=None,
    created_by=None,
    max_file_bytes=None,
):
    """Create a project from a classic folder or zip (``files``); no batch file may be larger
    than ``max_file_bytes`` (the upload limit), and a refused import writes nothing."""
    connection_id = _check_connection(store, workspace_id, connection_id)
    if not (name or "").strip():
        raise ValidationError("Give the imported project a name.")
    name = validators.text(name, "Project name")
    _check_name(store, workspace_id, name)
    root = project_setup.slug(name)
    _check_root(store, workspace_id, connection_id, root)
    probe = Project(workspace_id=workspace_id, name=name, connection_id=connection_id, root=root)
    return project_setup.import_project(
        store.projects,
        project_storage(store, probe),
        files,
        workspace_id=workspace_id,
        name=name,
        connection_id=connection_id,
        target=target,
        task=task,
        created_by=created_by,
        max_file_bytes=max_file_bytes,
    )
