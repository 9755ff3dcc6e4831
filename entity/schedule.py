"""Run schedules: when a project trains or predicts by itself, one document per schedule.

A due schedule is claimed with one atomic ``find_one_and_update`` that moves ``next_run_at``
forward and records the claimed slot as ``pending``; the slot's run (or its ``skipped`` /
``missed`` record) is then written with a unique ``(schedule_id, scheduled_for)``, and the
claim is settled. A process that dies between the two leaves ``pending`` behind, and any
ticker retakes a claim older than ``CLAIM_TIMEOUT``: the unique index makes a second run for
the same slot impossible, so no slot is lost and none runs twice.
"""

import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from entity.read_cache import cached_read
from entity.records import now, object_id
from exception_layer.errors import NotFound

logger = logging.getLogger(__name__)

OVERLAP = ("skip", "queue")
DEFAULT_GRACE_S = 3600
CLAIM_TIMEOUT = timedelta(seconds=30)


@dataclass
class Schedule:
    workspace_id: str
    project_id: str
    kind: str  # "train" or "predict"
    spec: dict  # normalised by project_library.automation.timing
    description: str = ""
    misfire_grace_s: int = DEFAULT_GRACE_S
    overlap: str = "skip"
    paused: bool = False
    next_run_at: datetime | None = None  # UTC; None once a one-off schedule has run
    anchor: datetime | None = None  # the start of "every N hours"
    pending: dict | None = None  # a claimed slot whose run is not recorded yet
    last_outcome: dict | None = None  # {"status", "run_id", "slot", "at", "reason"}
    created_by: str | None = None
    created_by_email: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: str | None = None

    @classmethod
    def from_document(cls, doc):
        known = {f.name for f in fields(cls)}
        return cls(id=str(doc["_id"]), **{k: v for k, v in doc.items() if k in known})


EDITABLE = {
    "spec",
    "description",
    "misfire_grace_s",
    "overlap",
    "paused",
    "next_run_at",
    "anchor",
    "last_outcome",
}


class ScheduleRepository:
    def __init__(self, db):
        self.collection = db["schedules"]
        self.notices = db["schedule_notices"]

    @staticmethod
    def ensure_indexes(db):
        db["schedules"].create_index([("workspace_id", ASCENDING), ("project_id", ASCENDING)])
        db["schedules"].create_index([("paused", ASCENDING), ("next_run_at", ASCENDING)])
        db["schedules"].create_index([("pending.claimed_at", ASCENDING)])

    def create(self, schedule):
        schedule.created_at = schedule.updated_at = now()
        doc = asdict(schedule)
        doc.pop("id")
        schedule.id = str(self.collection.insert_one(doc).inserted_id)
        logger.info("schedule_created schedule=%s project=%s", schedule.id, schedule.project_id)
        return schedule

    def get(self, workspace_id, schedule_id):
        doc = self.collection.find_one(
            {"_id": object_id(schedule_id, "schedule"), "workspace_id": workspace_id}
        )
        if not doc:
            raise NotFound("That schedule does not exist.")
        return Schedule.from_document(doc)

    def get_any(self, schedule_id):
        """For operators (the CLI): a schedule by id in whatever workspace."""
        doc = self.collection.find_one({"_id": object_id(schedule_id, "schedule")})
        if not doc:
            raise NotFound("That schedule does not exist.")
        return Schedule.from_document(doc)

    def all(self, limit=1000):
        cursor = self.collection.find().sort([("workspace_id", 1), ("project_id", 1)])
        return [Schedule.from_document(d) for d in cursor.limit(limit)]

    @cached_read("schedules")
    def for_project(self, workspace_id, project_id):
        cursor = self.collection.find({"workspace_id": workspace_id, "project_id": project_id})
        return [Schedule.from_document(d) for d in cursor.sort("created_at", ASCENDING)]

    def update(self, workspace_id, schedule_id, **values):
        unknown = set(values) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        values["updated_at"] = now()
        doc = self.collection.find_one_and_update(
            {"_id": object_id(schedule_id, "schedule"), "workspace_id": workspace_id},
            {"$set": values},
            return_document=ReturnDocument.AFTER,
        )
        if not doc:
            raise NotFound("That schedule does not exist.")
        return Schedule.from_document(doc)

    def delete(self, workspace_id, schedule_id):
        result = self.collection.delete_one(
            {"_id": object_id(schedule_id, "schedule"), "workspace_id": workspace_id}
        )
        if not result.deleted_count:
            raise NotFound("That schedule does not exist.")

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's schedules; return how many."""
        query = {"workspace_id": workspace_id, "project_id": project_id}
        return self.collection.delete_many(query).deleted_count

    def pause_for_project(self, workspace_id, project_id):
        """Pause the project's schedules (its deletion is under way)."""
        self.collection.update_many(
            {"workspace_id": workspace_id, "project_id": project_id}, {"$set": {"paused": True}}
        )

    # -- the ticker ---------------------------------------------------------------------
    def due(self, moment, limit=200):
        cursor = self.collection.find(
            {"paused": False, "next_run_at": {"$lte": moment}, "pending": None}
        )
        return [Schedule.from_document(d) for d in cursor.sort("next_run_at", 1).limit(limit)]

    def soonest(self):
        """The earliest ``next_run_at`` of an active schedule, or None."""
        doc = self.collection.find_one(
            {"paused": False, "next_run_at": {"$ne": None}, "pending": None},
            {"next_run_at": 1},
            sort=[("next_run_at", ASCENDING)],
        )
        return doc["next_run_at"] if doc else None

    def claim(self, schedule, slot, next_at, worker, moment, passed=0):
        """Take ``slot`` of a due schedule and move it to ``next_at``; None when another
        process was first (``next_run_at`` moved meanwhile)."""
        doc = self.collection.find_one_and_update(
            {
                "_id": object_id(schedule.id),
                "paused": False,
                "next_run_at": schedule.next_run_at,
                "pending": None,
            },
            {
                "$set": {
                    "next_run_at": next_at,
                    "pending": {
                        "slot": slot,
                        "claimed_at": moment,
                        "by": worker,
                        "passed": passed,
                        "waiting": False,
                    },
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return Schedule.from_document(doc) if doc else None

    def stale_claims(self, moment, limit=200):
        """Claims whose process stopped before recording the run, or that wait (queue)."""
        cursor = self.collection.find(
            {
                "$or": [
                    {"pending.claimed_at": {"$lt": moment - CLAIM_TIMEOUT}},
                    {"pending.waiting": True},
                ]
            }
        )
        return [Schedule.from_document(d) for d in cursor.limit(limit)]

    def retake(self, schedule, worker, moment):
        """Take over a stale or waiting claim; None when another process took it first."""
        pending = schedule.pending or {}
        doc = self.collection.find_one_and_update(
            {
                "_id": object_id(schedule.id),
                "pending.slot": pending.get("slot"),
                "pending.claimed_at": pending.get("claimed_at"),
            },
            {"$set": {"pending.claimed_at": moment, "pending.by": worker}},
            return_document=ReturnDocument.AFTER,
        )
        return Schedule.from_document(doc) if doc else None

    def wait(self, schedule_id, slot):
        """Keep a claimed slot for later: its run waits for the active one (overlap=queue)."""
        self.collection.update_one(
            {"_id": object_id(schedule_id), "pending.slot": slot},
            {"$set": {"pending.waiting": True}},
        )

    def settle(self, schedule_id, slot, outcome):
        """The slot's run (or record) is written: drop the claim, keep the outcome."""
        self.collection.update_one(
            {"_id": object_id(schedule_id), "pending.slot": slot},
            {"$unset": {"pending": ""}, "$set": {"last_outcome": outcome}},
        )

    def first_notice_today(self, schedule_id, status, day):
        """True once per schedule, status and day: the caller mails only then."""
        try:
            self.notices.insert_one({"_id": f"{schedule_id}:{status}:{day}", "at": now()})
        except DuplicateKeyError:
            return False
        return True
