"""Projects: a workspace's data contract, task and settings, one document per project."""

import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from entity import validators
from entity.read_cache import cached_read
from exception_layer.errors import Conflict, NotFound, ValidationError

logger = logging.getLogger(__name__)

TASKS = ("binary", "multiclass", "regression")
STRATEGIES = ("auto", "cluster")
# What a prediction batch that drifted from the training data does: predictions written with
# a warning, or held back until an admin releases or discards them.
DRIFT_ACTIONS = ("warn", "hold")
METRICS = {
    "binary": ("balanced_accuracy", "roc_auc", "f1_macro", "accuracy"),
    "multiclass": ("f1_macro", "balanced_accuracy", "accuracy"),
    "regression": ("rmse", "r2", "mae"),
}
DEFAULT_METRIC = {"binary": "balanced_accuracy", "multiclass": "f1_macro", "regression": "rmse"}
METRIC_LABELS = {
    "balanced_accuracy": "Balanced accuracy",
    "roc_auc": "ROC AUC",
    "accuracy": "Accuracy",
    "f1_macro": "Macro F1",
    "rmse": "RMSE",
    "r2": "R²",
    "mae": "MAE",
}
DEFAULT_MISSING_MARKERS = ["", "NULL", "null", "NA", "na", "N/A", "NaN", "nan", "?"]


def _now():
    return datetime.now(UTC)


SCHEMA_FIELDS = ("training_schema", "prediction_schema")


def encode_schema(classic):
    """ColName as a list of [name, type] pairs: column order is the contract, and a database
    need not keep the key order of a sub-document (nor accept dots in key names)."""
    if not isinstance(classic, dict) or not isinstance(classic.get("ColName"), dict):
        return classic
    return {**classic, "ColName": [[name, kind] for name, kind in classic["ColName"].items()]}


def decode_schema(stored):
    if not isinstance(stored, dict) or not isinstance(stored.get("ColName"), list):
        return stored
    return {**stored, "ColName": {name: kind for name, kind in stored["ColName"]}}


def encode_schemas(values):
    return {k: encode_schema(v) if k in SCHEMA_FIELDS else v for k, v in values.items()}


def _settable(kind):
    """Metadata of a field people set through the form and the API, with its JSON type."""
    return {"settable": kind}


@dataclass
class Project:
    """The one declaration of a project's fields: ``settable`` ones are what the form and the
    API accept (with their JSON type) and what the repository lets ``update`` change."""

    workspace_id: str
    name: str = field(metadata=_settable(str))
    description: str = field(default="", metadata=_settable(str))
    connection_id: str | None = field(default=None, metadata=_settable(str))
    root: str = field(default="", metadata=_settable(str))
    task: str | None = field(default=None, metadata=_settable(str))
    target: str | None = field(default=None, metadata=_settable(str))
    ignore_columns: list[str] = field(default_factory=list, metadata=_settable(list))
    id_columns: list[str] = field(default_factory=list, metadata=_settable(list))
    metric: str | None = field(default=None, metadata=_settable(str))
    missing_markers: list[str] = field(
        default_factory=lambda: list(DEFAULT_MISSING_MARKERS), metadata=_settable(list)
    )
    training_schema: dict | None = field(default=None, metadata=_settable(dict))
    prediction_schema: dict | None = field(default=None, metadata=_settable(dict))
    # The schema files as uploaded, so an unchanged schema exports byte for byte.
    schema_texts: dict = field(default_factory=dict, metadata={"internal": True})
    strict_headers: bool = field(default=False, metadata=_settable(bool))
    notify_emails: list[str] = field(default_factory=list, metadata=_settable(list))
    time_budget_s: int = field(default=120, metadata=_settable(int))
    strategy: str = field(default="auto", metadata=_settable(str))
    drift_action: str = field(default="warn", metadata=_settable(str))
    production_version: int | None = None  # changed only by ProjectRepository.set_production
    # The id of the deletion under way (``ProjectRepository.mark_deleting``): runs and the
    # prediction endpoint refuse the project, the ticker leaves it alone.
    deletion_id: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: str | None = None

    @property
    def effective_metric(self):
        return self.metric or DEFAULT_METRIC.get(self.task or "", None)

    def to_document(self):
        doc = asdict(self)
        doc.pop("id")
        return encode_schemas(doc)

    @classmethod
    def from_document(cls, doc):
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        for key in SCHEMA_FIELDS:
            values[key] = decode_schema(values.get(key))
        return cls(id=str(doc["_id"]), **values)

    def to_dict(self):
        """JSON-safe view for the API."""
        data = asdict(self)
        data.pop("schema_texts")
        for key in ("created_at", "updated_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["metric"] = self.effective_metric
        data["deleting"] = bool(self.deletion_id)
        return data


# Field name -> JSON type, for every field the form and the API may set.
SETTABLE_FIELDS = {
    f.name: f.metadata["settable"] for f in fields(Project) if "settable" in f.metadata
}
# What ``ProjectRepository.update`` may change: the settable fields and the kept schema texts.
EDITABLE_FIELDS = {
    *SETTABLE_FIELDS,
    *(f.name for f in fields(Project) if f.metadata.get("internal")),
}


def check_fields(values):
    """Reject values a project can never hold, and return ``values`` with the name, the
    description and the "also notify" addresses cleaned; the messages are for people."""
    cleaned = dict(values)
    if "name" in values:
        cleaned["name"] = validators.text(values["name"], "Project name")
    if "description" in values:
        cleaned["description"] = validators.description(values["description"])
    if "notify_emails" in values:
        cleaned["notify_emails"] = validators.email_list(values["notify_emails"], "Also notify")
    task = values.get("task")
    if task is not None and task not in TASKS:
        raise ValidationError(f"Task must be one of: {', '.join(TASKS)}.")
    metric = values.get("metric")
    if metric is not None:
        allowed = METRICS.get(task) if task else {m for ms in METRICS.values() for m in ms}
        if metric not in allowed:
            raise ValidationError(f"Metric '{metric}' does not fit the task '{task or 'any'}'.")
    strategy = values.get("strategy")
    if strategy is not None and strategy not in STRATEGIES:
        raise ValidationError(f"Strategy must be one of: {', '.join(STRATEGIES)}.")
    drift_action = values.get("drift_action")
    if drift_action is not None and drift_action not in DRIFT_ACTIONS:
        raise ValidationError(f"Drift action must be one of: {', '.join(DRIFT_ACTIONS)}.")
    budget = values.get("time_budget_s")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool)):
        raise ValidationError("The time budget is a whole number of seconds.")
    if budget is not None and not 5 <= budget <= 24 * 3600:
        raise ValidationError("The time budget must be between 5 seconds and 24 hours.")
    for key in ("ignore_columns", "id_columns", "missing_markers"):
        if key in values and not (
            isinstance(values[key], list) and all(isinstance(v, str) for v in values[key])
        ):
            raise ValidationError(f"'{key}' must be a list of texts.")
    return cleaned


class ProjectRepository:
    def __init__(self, db):
        self.collection = db["projects"]

    @staticmethod
    def ensure_indexes(db):
        db["projects"].create_index([("workspace_id", ASCENDING), ("name", ASCENDING)], unique=True)

    @cached_read("projects")
    def list(self, workspace_id):
        cursor = self.collection.find({"workspace_id": workspace_id}).sort("name", ASCENDING)
        return [Project.from_document(doc) for doc in cursor]

    @cached_read("projects")
    def get(self, workspace_id, project_id):
        oid = _object_id(project_id)
        doc = oid and self.collection.find_one({"_id": oid, "workspace_id": workspace_id})
        if not doc:
            raise NotFound("Project not found.")
        return Project.from_document(doc)

    def named(self, name_or_id, workspace_id=None, limit=2):
        """For operators (the CLI): the project with this id, else up to ``limit`` projects
        with this name (in ``workspace_id`` when given)."""
        oid = _object_id(name_or_id)
        doc = oid and self.collection.find_one({"_id": oid})
        if doc and workspace_id in (None, doc["workspace_id"]):
            return [Project.from_document(doc)]
        query = {"name": name_or_id, **({"workspace_id": workspace_id} if workspace_id else {})}
        return [Project.from_document(d) for d in self.collection.find(query).limit(limit)]

    def find_by_name(self, workspace_id, name):
        doc = self.collection.find_one({"workspace_id": workspace_id, "name": name})
        return Project.from_document(doc) if doc else None

    def create(self, project):
        cleaned = check_fields(asdict(project))
        for key in ("name", "description", "notify_emails"):
            setattr(project, key, cleaned[key])
        project.created_at = project.updated_at = _now()
        doc = project.to_document()
        try:
            result = self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"A project named '{project.name}' already exists here.") from exc
        project.id = str(result.inserted_id)
        logger.info("project_created workspace=%s project=%s", project.workspace_id, project.id)
        return project

    def update(self, workspace_id, project_id, **values):
        unknown = set(values) - EDITABLE_FIELDS
        if unknown:
            raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
        current = self.get(workspace_id, project_id)
        cleaned = check_fields({"task": current.task, **values})
        values = {key: cleaned[key] for key in values}
        values["updated_at"] = _now()
        try:
            doc = self.collection.find_one_and_update(
                {"_id": ObjectId(current.id), "workspace_id": workspace_id},
                {"$set": encode_schemas(values)},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError as exc:
            raise Conflict(f"A project named '{values.get('name')}' already exists here.") from exc
        if not doc:
            raise NotFound("Project not found.")
        return Project.from_document(doc)

    def set_production(self, workspace_id, project_id, version):
        """Point the project at a production model version (promotion, roll-back, training)."""
        result = self.collection.update_one(
            {"_id": _object_id(project_id), "workspace_id": workspace_id},
            {"$set": {"production_version": int(version)}},
        )
        if not result.matched_count:
            raise NotFound("Project not found.")

    def mark_deleting(self, workspace_id, project_id, deletion_id):
        """Flag the project as being deleted by ``deletion_id`` (idempotent)."""
        result = self.collection.update_one(
            {"_id": _object_id(project_id), "workspace_id": workspace_id},
            {"$set": {"deletion_id": deletion_id}},
        )
        if not result.matched_count:
            raise NotFound("Project not found.")

    def uses_connection(self, workspace_id, connection_id):
        return bool(
            self.collection.count_documents(
                {"workspace_id": workspace_id, "connection_id": connection_id}, limit=1
            )
        )

    def delete(self, workspace_id, project_id):
        """Drop the project's document; return how many went (0 when already gone)."""
        oid = _object_id(project_id)
        result = oid and self.collection.delete_one({"_id": oid, "workspace_id": workspace_id})
        deleted = result.deleted_count if result else 0
        if deleted:
            logger.info("project_deleted workspace=%s project=%s", workspace_id, project_id)
        return deleted


def _object_id(value):
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        return None
