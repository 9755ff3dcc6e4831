"""Validation reports: one document per "Validate now", scoped to its workspace."""

import logging
from datetime import UTC, datetime

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING

from entity.read_cache import cached_read
from exception_layer.errors import NotFound

logger = logging.getLogger(__name__)

# The two batch folders a validation reads (a run of kind "train" reads "training" batches).
BATCHES = ("training", "prediction")


class ValidationRepository:
    def __init__(self, db):
        self.collection = db["validations"]

    @staticmethod
    def ensure_indexes(db):
        db["validations"].create_index(
            [("workspace_id", 1), ("project_id", 1), ("started_at", DESCENDING)]
        )
        db["validations"].create_index([("status", 1), ("started_at", 1)])  # the watchdog

    def start(self, workspace_id, project_id, kind, created_by=None):
        """Record a validation that is about to run; return its id."""
        doc = {
            "workspace_id": workspace_id,
            "project_id": project_id,
            "kind": kind,
            "status": "running",
            "files": [],
            "accepted": [],
            "notes": [],
            "created_by": created_by,
            "started_at": datetime.now(UTC),
        }
        return str(self.collection.insert_one(doc).inserted_id)

    def save(self, workspace_id, result_dict):
        """Store a finished ValidationResult (``to_dict()``) under its id."""
        body = {k: v for k, v in result_dict.items() if k not in ("id", "_id")}
        body["workspace_id"] = workspace_id
        self.collection.update_one(
            {"_id": ObjectId(result_dict["id"]), "workspace_id": workspace_id},
            {"$set": body},
            upsert=True,
        )

    def fail(self, workspace_id, validation_id, message):
        self.collection.update_one(
            {"_id": ObjectId(validation_id), "workspace_id": workspace_id},
            {"$set": {"status": "failed", "error": message, "finished_at": datetime.now(UTC)}},
        )

    def get(self, workspace_id, validation_id):
        try:
            oid = ObjectId(str(validation_id))
        except (InvalidId, TypeError) as exc:
            raise NotFound("Validation not found.") from exc
        doc = self.collection.find_one({"_id": oid, "workspace_id": workspace_id})
        if not doc:
            raise NotFound("Validation not found.")
        return _with_id(doc)

    @cached_read("validations")
    def list_for_project(self, workspace_id, project_id, limit=20):
        return self._newest(
            {"workspace_id": workspace_id, "project_id": project_id},
            {"files.reasons.evidence": 0, "files.warnings.evidence": 0},
            limit,
        )

    @cached_read("validations")
    def summaries_for_project(self, workspace_id, project_id, limit):
        """The project's latest reports as counts only (kind, counts, times), newest first."""
        return self._newest(
            {"workspace_id": workspace_id, "project_id": project_id},
            {"kind": 1, "counts": 1, "started_at": 1, "finished_at": 1},
            limit,
        )

    @cached_read("validations")
    def recent(self, workspace_id, limit=100):
        """The workspace's latest reports (summaries only), newest first."""
        return self._newest(
            {"workspace_id": workspace_id, "status": "done"},
            {"project_id": 1, "kind": 1, "counts": 1, "finished_at": 1, "started_at": 1},
            limit,
        )

    def _newest(self, query, projection, limit):
        cursor = self.collection.find(query, projection).sort("started_at", DESCENDING)
        return [_with_id(doc) for doc in cursor.limit(limit)]

    @cached_read("validations")
    def latest(self, workspace_id, project_id, kind):
        doc = self.collection.find_one(
            {
                "workspace_id": workspace_id,
                "project_id": project_id,
                "kind": kind,
                "status": "done",
            },
            sort=[("started_at", DESCENDING)],
        )
        return _with_id(doc) if doc else None

    def mark_restored(self, workspace_id, validation_id, file_name):
        self.collection.update_one(
            {"_id": ObjectId(validation_id), "workspace_id": workspace_id},
            {"$set": {"files.$[f].restored": True}},
            array_filters=[{"f.name": file_name}],
        )

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's validations; return how many."""
        query = {"workspace_id": workspace_id, "project_id": project_id}
        return self.collection.delete_many(query).deleted_count

    def fail_if_running(self, workspace_id, validation_id, message):
        """Mark a validation that stopped before its end failed, with why; True when it was
        still ``running`` (a finished report is never overwritten)."""
        result = self.collection.update_one(
            {"_id": ObjectId(validation_id), "workspace_id": workspace_id, "status": "running"},
            {"$set": {"status": "failed", "error": message, "finished_at": datetime.now(UTC)}},
        )
        return result.modified_count == 1

    def running_since(self, cutoff, limit=100):
        """Validations still ``running`` that started before ``cutoff`` (id, workspace)."""
        cursor = self.collection.find(
            {"status": "running", "started_at": {"$lt": cutoff}}, {"workspace_id": 1}
        )
        return [_with_id(doc) for doc in cursor.limit(limit)]


def _with_id(doc):
    doc["id"] = str(doc.pop("_id"))
    return doc
