"""Model versions: immutable records of trained models, and the production history."""

import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from entity.read_cache import cached_read
from entity.records import now
from exception_layer.errors import Conflict, NotFound

logger = logging.getLogger(__name__)


@dataclass
class ModelVersion:
    workspace_id: str
    project_id: str
    version: int
    run_id: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    task: str | None = None
    metric: str | None = None
    metric_value: float | None = None
    metrics: dict = field(default_factory=dict)
    estimator: str | None = None
    estimator_label: str | None = None
    params: dict = field(default_factory=dict)
    candidates: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    lineage: list = field(default_factory=list)
    feature_columns: list = field(default_factory=list)
    dropped_columns: dict = field(default_factory=dict)
    classes: list | None = None
    libraries: dict = field(default_factory=dict)
    artifact: dict = field(default_factory=dict)
    # signed files beside the model: {name: {"sha256", "bytes"}} (figures, report, profile)
    attachments: dict = field(default_factory=dict)
    importance: list = field(default_factory=list)  # [{"name", "mean", "std"}], held-out
    folder: str | None = None
    signature: str | None = None
    id: str | None = None

    @classmethod
    def from_document(cls, doc):
        known = {f.name for f in fields(cls)}
        return cls(id=str(doc["_id"]), **{k: v for k, v in doc.items() if k in known})

    def to_dict(self):
        data = asdict(self)
        if data["created_at"] is not None:
            data["created_at"] = data["created_at"].isoformat()
        data.pop("signature")
        return data


class ModelVersionRepository:
    def __init__(self, db):
        self.collection = db["model_versions"]
        self.counters = db["model_counters"]
        self.promotions = db["model_promotions"]

    @staticmethod
    def ensure_indexes(db):
        db["model_versions"].create_index(
            [("workspace_id", ASCENDING), ("project_id", ASCENDING), ("version", ASCENDING)],
            unique=True,
        )
        db["model_promotions"].create_index(
            [("workspace_id", ASCENDING), ("project_id", ASCENDING), ("at", DESCENDING)]
        )

    def next_version(self, project_id):
        doc = self.counters.find_one_and_update(
            {"_id": project_id},
            {"$inc": {"last": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["last"])

    def create(self, model):
        model.created_at = model.created_at or now()
        doc = asdict(model)
        doc.pop("id")
        try:
            model.id = str(self.collection.insert_one(doc).inserted_id)
        except DuplicateKeyError as exc:
            raise Conflict(f"Model version {model.version} already exists.") from exc
        return model

    @cached_read("model_versions")
    def list(self, workspace_id, project_id):
        cursor = self.collection.find({"workspace_id": workspace_id, "project_id": project_id})
        return [ModelVersion.from_document(d) for d in cursor.sort("version", DESCENDING)]

    @cached_read("model_versions")
    def scores(self, workspace_id, project_id, limit):
        """The newest ``limit`` versions with only what a history chart reads (version,
        metric and its value, estimator, time): not their candidates, lineage or importance."""
        fields = ("version", "metric", "metric_value", "estimator_label", "created_at")
        cursor = self.collection.find(
            {"workspace_id": workspace_id, "project_id": project_id},
            {"_id": 1, "workspace_id": 1, "project_id": 1, **dict.fromkeys(fields, 1)},
        )
        return [
            ModelVersion.from_document(d) for d in cursor.sort("version", DESCENDING).limit(limit)
        ]

    def get(self, workspace_id, project_id, version):
        try:
            number = int(version)
        except (TypeError, ValueError, OverflowError):
            raise NotFound("That model version does not exist.") from None
        if not 0 < number < 2**31:  # the database refuses integers beyond 8 bytes
            raise NotFound("That model version does not exist.")
        doc = self.collection.find_one(
            {"workspace_id": workspace_id, "project_id": project_id, "version": number}
        )
        if not doc:
            raise NotFound("That model version does not exist.")
        return ModelVersion.from_document(doc)

    def delete_version(self, workspace_id, project_id, version):
        """Drop one version's record; return how many documents went (0 or 1)."""
        query = {"workspace_id": workspace_id, "project_id": project_id, "version": int(version)}
        return self.collection.delete_one(query).deleted_count

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's versions, version counter and promotion history; return how
        many documents."""
        query = {"workspace_id": workspace_id, "project_id": project_id}
        return (
            self.collection.delete_many(query).deleted_count
            + self.promotions.delete_many(query).deleted_count
            + self.counters.delete_many({"_id": project_id}).deleted_count
        )

    def record_promotion(self, workspace_id, project_id, version, by, reason):
        self.promotions.insert_one(
            {
                "workspace_id": workspace_id,
                "project_id": project_id,
                "version": int(version),
                "by": by,
                "reason": reason,
                "at": now(),
            }
        )

    def promotions_for(self, workspace_id, project_id, limit=20):
        cursor = self.promotions.find({"workspace_id": workspace_id, "project_id": project_id})
        return list(cursor.sort("at", DESCENDING).limit(limit))
