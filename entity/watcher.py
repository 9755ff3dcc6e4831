"""Storage watchers: per project, what to do when files land in its batch folders, and the
files seen so far (so a restart never re-triggers old files).

``seen`` and ``pending`` map a batch ("training", "prediction") to ``{file name: signature}``
(size and modification time) and ``{file name: {"sig", "since"}}``. A poll is claimed like a
schedule: one atomic ``find_one_and_update`` moves ``next_poll_at`` forward, so two
processes never poll one project at the same moment.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime

from pymongo import ASCENDING, ReturnDocument

from entity.read_cache import cached_read
from entity.records import now

TRAINING_MODES = ("off", "validate", "train")


@dataclass
class Watcher:
    project_id: str
    workspace_id: str
    training: str = "off"  # off | validate | train
    prediction: bool = False
    next_poll_at: datetime | None = None
    last_poll_at: datetime | None = None
    last_error: str | None = None
    seen: dict = field(default_factory=dict)
    pending: dict = field(default_factory=dict)
    last_run: dict | None = None  # {"run_id" or "validation_id", "batch", "files", "at"}
    updated_at: datetime | None = None

    @property
    def active(self):
        return self.training != "off" or self.prediction

    @classmethod
    def from_document(cls, doc):
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        return cls(project_id=doc["_id"], **{k: v for k, v in values.items() if k != "project_id"})

    def files_seen(self):
        return {batch: len(names) for batch, names in (self.seen or {}).items()}


class WatcherRepository:
    def __init__(self, db):
        self.collection = db["watchers"]

    @staticmethod
    def ensure_indexes(db):
        db["watchers"].create_index([("active", ASCENDING), ("next_poll_at", ASCENDING)])
        db["watchers"].create_index([("workspace_id", ASCENDING)])

    @cached_read("watchers")
    def get(self, workspace_id, project_id):
        """The project's watcher (switched off when it was never set)."""
        doc = self.collection.find_one({"_id": project_id, "workspace_id": workspace_id})
        return Watcher.from_document(doc) if doc else Watcher(project_id, workspace_id)

    def configure(self, workspace_id, project_id, training, prediction, moment):
        """Switch the watcher; a folder switched on starts from what is in it then (the
        ticker takes it as seen at its first look), so old files never start a run."""
        current = self.get(workspace_id, project_id)
        watcher = Watcher(project_id, workspace_id, training, prediction)
        forget = {}
        if current.training == "off" and training != "off":
            forget.update({"seen.training": "", "pending.training": ""})
        if not current.prediction and prediction:
            forget.update({"seen.prediction": "", "pending.prediction": ""})
        if forget:
            self.collection.update_one({"_id": project_id}, {"$unset": forget})
        self.collection.update_one(
            {"_id": project_id, "workspace_id": workspace_id},
            {
                "$set": {
                    "training": training,
                    "prediction": bool(prediction),
                    "active": watcher.active,
                    "next_poll_at": moment,
                    "updated_at": now(),
                },
                "$setOnInsert": {"seen": {}, "pending": {}},
            },
            upsert=True,
        )
        return self.get(workspace_id, project_id)

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's watcher; return how many documents went (0 or 1)."""
        query = {"_id": project_id, "workspace_id": workspace_id}
        return self.collection.delete_many(query).deleted_count

    def pause_for_project(self, workspace_id, project_id):
        """Stop polling the project's folders (its deletion is under way)."""
        self.collection.update_one(
            {"_id": project_id, "workspace_id": workspace_id}, {"$set": {"active": False}}
        )

    def claim_due(self, moment, next_at, limit=50):
        """Claim watchers due for a poll, one at a time; each returned one is ours to poll."""
        claimed = []
        for _ in range(limit):
            doc = self.collection.find_one_and_update(
                {"active": True, "next_poll_at": {"$lte": moment}},
                {"$set": {"next_poll_at": next_at}},
                sort=[("next_poll_at", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if not doc:
                break
            claimed.append(Watcher.from_document(doc))
        return claimed

    def record_poll(self, watcher, *, seen, pending, moment, error=None, last_run=None):
        values = {"seen": seen, "pending": pending, "last_poll_at": moment, "last_error": error}
        if last_run is not None:
            values["last_run"] = last_run
        self.collection.update_one({"_id": watcher.project_id}, {"$set": values})
