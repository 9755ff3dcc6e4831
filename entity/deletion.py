"""Deletions: one job per thing being deleted (a project, a model version, a run, a
workspace), the single source of its state.

A job moves ``deleting`` -> ``deleted`` | ``failed``. It is executed by one process at a
time: ``claim`` takes it with one ``find_one_and_update`` when nobody holds it or its holder's
heartbeat went stale, so a job whose process died mid-way is finished by the next process
and never by two at once. Every progress write is conditioned on still holding the claim.
One job per target is ``deleting`` at a time (a unique partial index), so asking twice
returns the job already under way. Finished jobs are kept 30 days (a TTL index on
``finished_at``) so the page and the API can say how a deletion ended.
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from entity.records import now, object_id
from exception_layer.errors import NotFound

TARGETS = ("project", "model_version", "run", "workspace")
FILE_CHOICES = ("platform", "all")  # platform: what the platform wrote; all: the whole root
STATES = ("deleting", "deleted", "failed")
KEPT_FOR = timedelta(days=30)


@dataclass
class Deletion:
    """``target``: {type, id, name} and what the job needs once the records are gone (a
    project's ``root`` and ``connection_id``, a version's ``project_id`` and ``version``)."""

    workspace_id: str
    target: dict
    files: str = "platform"
    requested_by: dict = field(default_factory=dict)  # {"user_id", "email", "name"}
    state: str = "deleting"
    step: str = "queued"
    counts: dict = field(default_factory=lambda: {"objects": 0, "records": 0})
    error: str | None = None
    claimed_by: str | None = None
    heartbeat_at: datetime | None = None
    attempts: int = 0
    created_at: datetime | None = None
    finished_at: datetime | None = None
    id: str | None = None

    @property
    def worker(self):
        """The claim's holder (the name ``thread_layer.heartbeat`` reads)."""
        return self.claimed_by

    @classmethod
    def from_document(cls, doc):
        known = {f.name for f in fields(cls)}
        return cls(id=str(doc["_id"]), **{k: v for k, v in doc.items() if k in known})

    def to_dict(self):
        data = asdict(self)
        for key in ("heartbeat_at", "created_at", "finished_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["target"] = {k: data["target"].get(k) for k in ("type", "id", "name")}
        data.pop("claimed_by")
        return data


class DeletionRepository:
    def __init__(self, db):
        self.collection = db["deletions"]

    @staticmethod
    def ensure_indexes(db):
        deletions = db["deletions"]
        deletions.create_index(
            [("target.type", ASCENDING), ("target.id", ASCENDING)],
            unique=True,
            partialFilterExpression={"state": "deleting"},
        )
        deletions.create_index([("state", ASCENDING), ("heartbeat_at", ASCENDING)])
        deletions.create_index(
            [("finished_at", ASCENDING)], expireAfterSeconds=int(KEPT_FOR.total_seconds())
        )

    def create(self, deletion):
        """Insert a ``deleting`` job; when the target already has one, return that one."""
        deletion.created_at = now()
        doc = asdict(deletion)
        doc.pop("id")
        doc.pop("finished_at")  # absent until finished: the TTL index reads it
        try:
            deletion.id = str(self.collection.insert_one(doc).inserted_id)
        except DuplicateKeyError:
            return self.active_for(deletion.target["type"], deletion.target["id"])
        return deletion

    def active_for(self, target_type, target_id):
        doc = self.collection.find_one(
            {"target.type": target_type, "target.id": target_id, "state": "deleting"}
        )
        return Deletion.from_document(doc) if doc else None

    def latest_for(self, workspace_id, target_type, target_id):
        doc = self.collection.find_one(
            {"workspace_id": workspace_id, "target.type": target_type, "target.id": target_id},
            sort=[("created_at", DESCENDING)],
        )
        return Deletion.from_document(doc) if doc else None

    def get(self, workspace_id, deletion_id):
        doc = self.collection.find_one(
            {"_id": object_id(deletion_id, "deletion"), "workspace_id": workspace_id}
        )
        if not doc:
            raise NotFound("That deletion does not exist.")
        return Deletion.from_document(doc)

    def claim(self, deletion_id, worker, stale_before):
        """Take a ``deleting`` job nobody holds, or whose holder stopped beating before
        ``stale_before``; None when another process holds it (or it is finished)."""
        doc = self.collection.find_one_and_update(
            {
                "_id": object_id(deletion_id, "deletion"),
                "state": "deleting",
                "$or": [
                    {"claimed_by": None},
                    {"heartbeat_at": {"$lt": stale_before}},
                ],
            },
            {"$set": {"claimed_by": worker, "heartbeat_at": now()}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return Deletion.from_document(doc) if doc else None

    def resumable(self, stale_before, limit=20):
        """Ids of ``deleting`` jobs with nobody beating for them since ``stale_before``."""
        cursor = self.collection.find(
            {
                "state": "deleting",
                "$or": [
                    {"heartbeat_at": {"$lt": stale_before}},
                    {"claimed_by": None, "created_at": {"$lt": stale_before}},
                ],
            },
            {"_id": 1},
        )
        return [str(doc["_id"]) for doc in cursor.limit(limit)]

    def _held(self, deletion_id, worker):
        return {"_id": object_id(deletion_id), "state": "deleting", "claimed_by": worker}

    def beat(self, deletion_id, worker):
        """Stamp the heartbeat; False when the job is no longer this worker's."""
        result = self.collection.update_one(
            self._held(deletion_id, worker), {"$set": {"heartbeat_at": now()}}
        )
        return bool(result.matched_count)

    def progress(self, deletion, *, step=None, objects=0, records=0):
        """Record the step and add to the counts; False when the claim was lost."""
        values = {"heartbeat_at": now(), **({"step": step} if step else {})}
        increments = {"counts.objects": int(objects), "counts.records": int(records)}
        doc = self.collection.find_one_and_update(
            self._held(deletion.id, deletion.claimed_by),
            {"$set": values, "$inc": increments},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return False
        deletion.step, deletion.counts = doc["step"], doc["counts"]
        return True

    def finish(self, deletion, state, error=None):
        """Settle a held job as ``deleted`` or ``failed`` (with a one-line reason)."""
        doc = self.collection.find_one_and_update(
            self._held(deletion.id, deletion.claimed_by),
            {"$set": {"state": state, "step": state, "error": error, "finished_at": now()}},
            return_document=ReturnDocument.AFTER,
        )
        return Deletion.from_document(doc) if doc else None
