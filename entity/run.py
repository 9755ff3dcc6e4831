"""Runs: one MongoDB record per train or predict job, the single source of its state.

A run moves queued -> running -> succeeded | failed | cancelled | interrupted; a scheduled
or watched run that had nothing to do is recorded as skipped or missed. A prediction whose
batch drifted, in a project that holds such batches, ends ``needs_review`` and an admin then
releases it (``succeeded``) or discards it (``discarded``). Workers claim
a queued run atomically (``find_one_and_update``), so a run executes at most once even when
a message is delivered twice. One training per project at a time is enforced by a lock
document whose ``_id`` is the project id (a second insert fails on the unique ``_id``).
"""

import logging
import os
import socket
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from entity.read_cache import cached_read
from entity.records import now, object_id
from exception_layer.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

KINDS = ("train", "predict")
BATCH_OF_KIND = {"train": "training", "predict": "prediction"}  # what each kind reads
ACTIVE = ("queued", "running")
FINISHED = (
    "succeeded",
    "failed",
    "cancelled",
    "interrupted",
    "skipped",
    "missed",
    "needs_review",
    "discarded",
)
# A prediction with one of these statuses has dealt with its files: they are not predicted
# again with the same model unless someone asks for every file.
COVERING = ("succeeded", "needs_review", "discarded")
TRIGGERS = ("person", "token", "schedule", "watcher")
STALE_HEARTBEAT = timedelta(minutes=10)
REVIEW_CLAIM_TIMEOUT = timedelta(minutes=2)


def worker_identity():
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(worker, heartbeat_at=None):
    """True when the process that claimed a run no longer exists."""
    if not worker:
        return True
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return heartbeat_at is None or now() - heartbeat_at > STALE_HEARTBEAT


@dataclass
class Run:
    workspace_id: str
    project_id: str
    kind: str
    project_name: str | None = None
    status: str = "queued"
    created_by: str | None = None
    created_by_email: str | None = None
    created_by_name: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    step: str = "queued"
    percent: float = 0.0
    message: str = "Waiting for a worker."
    metrics: dict = field(default_factory=dict)
    metric: str | None = None
    model_version: int | None = None
    output_path: str | None = None
    output_rows: int | None = None
    validation_id: str | None = None
    cancel_requested: bool = False
    worker: str | None = None
    heartbeat_at: datetime | None = None
    attempts: int = 0
    # who or what started it: {"type": "person"|"token"|"schedule"|"watcher", ...}
    trigger: dict = field(default_factory=dict)
    schedule_id: str | None = None  # with scheduled_for: unique, one run per slot
    scheduled_for: datetime | None = None
    files: str | None = None  # prediction runs: "new" (not yet predicted) or "all"
    input_names: list | None = None  # a watcher's run: only these files
    inputs: list = field(default_factory=list)  # predicted files: [{"name", "sha256", "rows"}]
    drift: dict | None = None  # prediction runs: the drift report (project_library.drift)
    drift_summary: str | None = None  # its one line, e.g. "3 of 30 features drifted: …"
    distribution: dict | None = None  # {"svg", "title", "alt"}: predictions vs held-out
    held_path: str | None = None  # needs_review: where the held predictions wait
    review: dict | None = None  # {"decision": "released"|"discarded", "by", "at"}
    id: str | None = None

    @property
    def active(self):
        return self.status in ACTIVE

    @property
    def duration_s(self):
        if not self.started_at:
            return None
        return ((self.finished_at or now()) - self.started_at).total_seconds()

    @classmethod
    def from_document(cls, doc):
        known = {f.name for f in fields(cls)}
        return cls(id=str(doc["_id"]), **{k: v for k, v in doc.items() if k in known})

    def to_dict(self):
        data = asdict(self)
        for key in ("created_at", "started_at", "finished_at", "heartbeat_at", "scheduled_for"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data.pop("worker")
        data.pop("distribution")
        drift = data.pop("drift")  # the whole report: GET /api/v1/runs/<id>/drift
        data["drifted"] = None if drift is None else bool(drift.get("drifted"))
        data["duration_s"] = None if self.duration_s is None else round(self.duration_s, 3)
        return data


class SlotTaken(Conflict):
    """A schedule's slot already has its run (another process recorded it first)."""


def _document(run):
    doc = asdict(run)
    doc.pop("id")
    if doc["schedule_id"] is None:  # the unique slot index covers scheduled runs only
        doc.pop("schedule_id")
        doc.pop("scheduled_for")
    return doc


class RunRepository:
    def __init__(self, db):
        self.collection = db["runs"]
        self.locks = db["run_locks"]

    @staticmethod
    def ensure_indexes(db):
        runs = db["runs"]
        runs.create_index([("workspace_id", ASCENDING), ("created_at", DESCENDING)])
        runs.create_index(
            [("workspace_id", ASCENDING), ("project_id", ASCENDING), ("created_at", DESCENDING)]
        )
        runs.create_index([("status", ASCENDING)])
        runs.create_index(
            [("schedule_id", ASCENDING), ("scheduled_for", ASCENDING)],
            unique=True,
            partialFilterExpression={"schedule_id": {"$exists": True}},
        )
        runs.create_index(
            [("workspace_id", ASCENDING), ("project_id", ASCENDING), ("kind", ASCENDING)]
        )

    def create(self, run):
        """Insert a queued run; a second active training of the same project is a Conflict."""
        run.created_at = now()
        run.status, run.step = "queued", "queued"
        doc = _document(run)
        if run.kind == "train":
            lock_id = f"train:{run.project_id}"
            try:
                self.locks.insert_one({"_id": lock_id, "created_at": run.created_at})
            except DuplicateKeyError:
                if not self._release_if_stale(lock_id):
                    raise Conflict(
                        "A training of this project is already queued or running; "
                        "wait for it to finish or cancel it."
                    ) from None
                self.locks.insert_one({"_id": lock_id, "created_at": run.created_at})
            try:
                run.id = self._insert(doc)
            except Exception:
                self.locks.delete_one({"_id": lock_id})
                raise
            self.locks.update_one({"_id": lock_id}, {"$set": {"run_id": run.id}})
        else:
            run.id = self._insert(doc)
        logger.info("run_created run=%s project=%s kind=%s", run.id, run.project_id, run.kind)
        return run

    def _insert(self, doc):
        try:
            return str(self.collection.insert_one(doc).inserted_id)
        except DuplicateKeyError as exc:
            raise SlotTaken("This schedule's slot already has its run.") from exc

    def record(self, run, status, message):
        """Insert a run that ends as it is recorded (``skipped`` or ``missed``), with why."""
        run.created_at = run.finished_at = now()
        run.status = run.step = status
        run.message = message
        run.id = self._insert(_document(run))
        logger.info("run_recorded run=%s project=%s status=%s", run.id, run.project_id, status)
        return run

    def for_slot(self, schedule_id, scheduled_for):
        """The run (or record) of a schedule's slot, or None."""
        doc = self.collection.find_one({"schedule_id": schedule_id, "scheduled_for": scheduled_for})
        return Run.from_document(doc) if doc else None

    def active(self, workspace_id, project_id, kind):
        """The queued or running run of this project and kind, or None."""
        doc = self.collection.find_one(
            {
                "workspace_id": workspace_id,
                "project_id": project_id,
                "kind": kind,
                "status": {"$in": list(ACTIVE)},
            },
        )
        return Run.from_document(doc) if doc else None

    def covered_inputs(self, workspace_id, project_id, model_version):
        """(name, sha256) of every file a prediction with this model dealt with (succeeded,
        held for review or discarded after review)."""
        cursor = self.collection.find(
            {
                "workspace_id": workspace_id,
                "project_id": project_id,
                "kind": "predict",
                "status": {"$in": list(COVERING)},
                "model_version": model_version,
            },
            {"inputs": 1},
        )
        return {(i.get("name"), i.get("sha256")) for d in cursor for i in d.get("inputs") or ()}

    def _release_if_stale(self, lock_id):
        """A lock whose run is no longer active (or never got recorded) is released."""
        lock = self.locks.find_one({"_id": lock_id})
        if not lock:
            return True
        run_id = lock.get("run_id")
        if run_id is None:
            if now() - lock["created_at"] < timedelta(minutes=1):
                return False
        else:
            doc = self.collection.find_one({"_id": object_id(run_id)}, {"status": 1})
            if doc and doc["status"] in ACTIVE:
                return False
        self.locks.delete_one({"_id": lock_id, "run_id": run_id})
        return True

    def get(self, workspace_id, run_id):
        doc = self.collection.find_one(
            {"_id": object_id(run_id, "run"), "workspace_id": workspace_id}
        )
        if not doc:
            raise NotFound("That run does not exist.")
        return Run.from_document(doc)

    def active_for_project(self, workspace_id, project_id):
        """The project's queued and running runs."""
        cursor = self.collection.find(
            {
                "workspace_id": workspace_id,
                "project_id": project_id,
                "status": {"$in": list(ACTIVE)},
            },
        )
        return [Run.from_document(d) for d in cursor]

    def ids_for_project(self, workspace_id, project_id):
        query = {"workspace_id": workspace_id, "project_id": project_id}
        return [str(d["_id"]) for d in self.collection.find(query, {"_id": 1})]

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's runs and its training lock; return how many documents."""
        runs = self.collection.delete_many({"workspace_id": workspace_id, "project_id": project_id})
        locks = self.locks.delete_many({"_id": f"train:{project_id}"})
        return runs.deleted_count + locks.deleted_count

    def delete(self, workspace_id, run_id):
        """Drop one finished run; return how many documents went (0 or 1)."""
        result = self.collection.delete_one(
            {
                "_id": object_id(run_id, "run"),
                "workspace_id": workspace_id,
                "status": {"$nin": list(ACTIVE)},
            }
        )
        return result.deleted_count

    def get_by_id(self, run_id):
        """For workers only: a job carries nothing but the run id."""
        doc = self.collection.find_one({"_id": object_id(run_id, "run")})
        if not doc:
            raise NotFound("That run does not exist.")
        return Run.from_document(doc)

    @cached_read("runs")
    def list(self, workspace_id, project_id=None, limit=100, trigger=None):
        query = {"workspace_id": workspace_id}
        if project_id:
            query["project_id"] = project_id
        if trigger:
            query["trigger.type"] = trigger
        cursor = self.collection.find(query)
        return [Run.from_document(d) for d in cursor.sort("created_at", DESCENDING).limit(limit)]

    def latest(self, workspace_id, project_id):
        runs = self.list(workspace_id, project_id, limit=1)
        return runs[0] if runs else None

    def claim(self, run_id, worker=None):
        """Atomically take a queued run (or one whose worker died); None when not ours to run."""
        worker = worker or worker_identity()
        stamp = now()
        update = {
            "$set": {
                "status": "running",
                "worker": worker,
                "started_at": stamp,
                "heartbeat_at": stamp,
                "step": "starting",
                "message": "Starting.",
            },
            "$inc": {"attempts": 1},
        }
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run_id, "run"), "status": "queued"},
            update,
            return_document=ReturnDocument.AFTER,
        )
        if doc:
            return Run.from_document(doc)
        current = self.collection.find_one({"_id": object_id(run_id, "run")})
        if (
            current
            and current["status"] == "running"
            and worker_is_gone(current.get("worker"), current.get("heartbeat_at"))
        ):
            update["$set"].pop("started_at")
            update["$set"]["message"] = "Resumed by another worker after the first one stopped."
            doc = self.collection.find_one_and_update(
                {"_id": current["_id"], "status": "running", "worker": current.get("worker")},
                update,
                return_document=ReturnDocument.AFTER,
            )
            if doc:
                logger.warning("run_taken_over run=%s from=%s", run_id, current.get("worker"))
                return Run.from_document(doc)
        return None

    def cancel_requested(self, run_id):
        doc = self.collection.find_one({"_id": object_id(run_id, "run")}, {"cancel_requested": 1})
        return bool(doc and doc.get("cancel_requested"))

    def request_cancel(self, workspace_id, run_id):
        run = self.get(workspace_id, run_id)
        if not run.active:
            raise Conflict(f"The run has already finished ({run.status}).")
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run_id), "workspace_id": workspace_id, "status": "queued"},
            {
                "$set": {
                    "status": "cancelled",
                    "finished_at": now(),
                    "step": "cancelled",
                    "message": "Cancelled before it started.",
                    "cancel_requested": True,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc:
            self.release_lock(Run.from_document(doc))
            return Run.from_document(doc)
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run_id), "workspace_id": workspace_id, "status": "running"},
            {"$set": {"cancel_requested": True, "message": "Cancelling at the next step."}},
            return_document=ReturnDocument.AFTER,
        )
        return Run.from_document(doc) if doc else self.get(workspace_id, run_id)

    def finish(self, run, status, message, **values):
        values.update(status=status, message=message, finished_at=now(), heartbeat_at=now())
        if status == "succeeded":
            values["percent"] = 100.0
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run.id)}, {"$set": values}, return_document=ReturnDocument.AFTER
        )
        self.release_lock(run)
        logger.info("run_finished run=%s status=%s", run.id, status)
        return Run.from_document(doc)

    def claim_review(self, workspace_id, run_id, decision, by):
        """Take the decision on a ``needs_review`` run; None when it is not (or no longer)
        waiting, or another admin's decision is under way. A claim older than
        ``REVIEW_CLAIM_TIMEOUT`` (its process died mid-way) may be taken again."""
        moment = now()
        doc = self.collection.find_one_and_update(
            {
                "_id": object_id(run_id, "run"),
                "workspace_id": workspace_id,
                "status": "needs_review",
                "$or": [
                    {"review.claimed_at": {"$exists": False}},
                    {"review.claimed_at": {"$lt": moment - REVIEW_CLAIM_TIMEOUT}},
                ],
            },
            {"$set": {"review": {"decision": decision, "by": by, "claimed_at": moment}}},
            return_document=ReturnDocument.AFTER,
        )
        return Run.from_document(doc) if doc else None

    def settle_review(self, run, values):
        """The claimed decision is done: the run ends released (succeeded) or discarded."""
        decision = run.review["decision"]
        status = "succeeded" if decision == "released" else "discarded"
        review = {**run.review, "at": now()}
        review.pop("claimed_at", None)
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run.id), "status": "needs_review"},
            {"$set": {"status": status, "review": review, **values}},
            return_document=ReturnDocument.AFTER,
        )
        return Run.from_document(doc) if doc else self.get_by_id(run.id)

    def drop_review_claim(self, run):
        """The decision failed half-way (storage away): the run waits for a decision again."""
        self.collection.update_one(
            {"_id": object_id(run.id), "status": "needs_review"}, {"$unset": {"review": ""}}
        )

    def release_lock(self, run):
        if run.kind == "train":
            self.locks.delete_one({"_id": f"train:{run.project_id}", "run_id": run.id})

    def recover(self):
        """At start-up: runs whose worker is gone become interrupted; return the queued ids."""
        interrupted = 0
        for doc in self.collection.find({"status": "running"}):
            if worker_is_gone(doc.get("worker"), doc.get("heartbeat_at")):
                run = Run.from_document(doc)
                self.finish(
                    run,
                    "interrupted",
                    "Interrupted: the process running it stopped (restart or crash). "
                    "Start it again.",
                    step="interrupted",
                )
                interrupted += 1
        queued = [
            str(d["_id"])
            for d in self.collection.find({"status": "queued"}, {"_id": 1}).sort(
                "created_at", ASCENDING
            )
        ]
        if interrupted or queued:
            logger.info("runs_recovered interrupted=%d requeued=%d", interrupted, len(queued))
        return queued

    # -- writes of the worker holding a run, and the watchdog over heartbeats -----------
    def _held(self, run_id, worker):
        return {"_id": object_id(run_id, "run"), "status": "running", "worker": worker}

    def beat(self, run_id, worker):
        """Stamp the heartbeat of a run ``worker`` still holds; False when it holds it no
        longer (the watchdog settled it, or another worker took it over)."""
        result = self.collection.update_one(
            self._held(run_id, worker), {"$set": {"heartbeat_at": now()}}
        )
        return result.matched_count == 1

    def progress_claimed(self, run_id, worker, *, step, percent, message, **extra):
        """Record the step of the run the worker holds: None (nothing written) when it holds
        it no longer, else whether a cancel was requested."""
        values = {"heartbeat_at": now(), "step": step, "message": message, **extra}
        if percent is not None:
            values["percent"] = round(float(percent), 1)
        doc = self.collection.find_one_and_update(
            self._held(run_id, worker),
            {"$set": values},
            projection={"cancel_requested": 1},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else bool(doc.get("cancel_requested"))

    def finish_claimed(self, run, status, message, **values):
        """``finish`` by the worker holding the run; None (nothing written) when it holds it
        no longer, so a run the watchdog settled keeps what the watchdog said."""
        stamp = now()
        values.update(status=status, message=message, finished_at=stamp, heartbeat_at=stamp)
        if status == "succeeded":
            values["percent"] = 100.0
        doc = self.collection.find_one_and_update(
            self._held(run.id, run.worker), {"$set": values}, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            logger.warning(
                "run_not_finished run=%s reason=no longer held by %s", run.id, run.worker
            )
            return None
        self.release_lock(run)
        logger.info("run_finished run=%s status=%s", run.id, status)
        return Run.from_document(doc)

    def stale(self, cutoff, limit=100):
        """Running runs whose heartbeat is older than ``cutoff`` (or missing)."""
        query = {
            "status": "running",
            "$or": [{"heartbeat_at": {"$lt": cutoff}}, {"heartbeat_at": None}],
        }
        return [Run.from_document(d) for d in self.collection.find(query).limit(limit)]

    def settle_stale(self, run, message):
        """End a stale run: ``interrupted``, or ``cancelled`` when a cancel was asked for.

        The update is conditioned on the heartbeat still being the stale one read before, so
        of several processes settling at once exactly one does, and a run that beat since is
        left alone. Returns the settled run, or None. Its training lock is released.
        """
        status = "cancelled" if run.cancel_requested else "interrupted"
        stamp = now()
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run.id), "status": "running", "heartbeat_at": run.heartbeat_at},
            {"$set": {"status": status, "step": status, "message": message, "finished_at": stamp}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        self.release_lock(run)
        logger.warning("run_settled run=%s status=%s reason=heartbeat stale", run.id, status)
        return Run.from_document(doc)

    def fail_unclaimed(self, run_id, message, **values):
        """Fail a queued run its worker could not start; None when it is not queued."""
        values.update(status="failed", step="failed", message=message, finished_at=now())
        doc = self.collection.find_one_and_update(
            {"_id": object_id(run_id, "run"), "status": "queued"},
            {"$set": values},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        run = Run.from_document(doc)
        self.release_lock(run)
        logger.info("run_finished run=%s status=failed before its claim", run.id)
        return run

    def validating(self, validation_id):
        """The active run that reads validation ``validation_id``, or None."""
        doc = self.collection.find_one(
            {"status": {"$in": list(ACTIVE)}, "validation_id": validation_id}, {"_id": 1}
        )
        return str(doc["_id"]) if doc else None

    def error_of(self, workspace_id, run_id):
        """The failure's details kept for admins (type, message, error id), or None."""
        doc = self.collection.find_one(
            {"_id": object_id(run_id, "run"), "workspace_id": workspace_id}, {"error": 1}
        )
        return (doc or {}).get("error")
