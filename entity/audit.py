"""The audit trail: an insert-only ``audit_events`` collection, hash-chained per workspace.

Each event carries ``seq`` (1, 2, ... per workspace), ``prev_hash`` (the previous event's
``hash``, or ``GENESIS`` for the first), ``prev_time`` (the previous event's time) and ``hash``
(SHA-256 over the canonical JSON of the event without ``_id`` and ``hash``).

Appending is atomic across processes: the unique index on ``(workspace_id, seq)`` lets one
writer take a sequence number; a writer that lost the race reads the new tip and tries again,
so the chain never forks. ``audit_heads`` keeps each workspace's last ``seq`` and ``hash``, so
the chain continues (and a truncated tail is noticed) after retention removed every event.

Retention is a TTL index on ``time`` (``AUDIT_RETENTION_DAYS``): the database drops old
events, and the oldest survivor's ``prev_hash`` and ``prev_time`` record where the chain was
cut; ``project_library.audit.verify`` accepts a cut only when ``prev_time`` is past retention.
"""

import hashlib
import json
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from entity.records import now

GENESIS = "0" * 64
SITE = "_site"  # the head key of the chain of events outside any workspace (sign-ins, tokens)
DEFAULT_RETENTION_DAYS = 365
TTL_INDEX = "time_ttl"
MAX_ATTEMPTS = 200  # writers of one workspace racing for the next seq; each retry is one read


class AuditChainBusy(RuntimeError):
    """The next sequence number could not be taken after MAX_ATTEMPTS races."""


def canonical(event):
    """The bytes an event's hash covers: sorted-key JSON of every field but ``_id`` and ``hash``,
    times as ISO strings (MongoDB keeps milliseconds, so events are stamped to the millisecond)."""
    body = {k: v for k, v in event.items() if k not in ("_id", "hash")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=_json_value).encode()


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return str(value)


def event_hash(event):
    return hashlib.sha256(canonical(event)).hexdigest()


def stamp():
    """Now, to the millisecond (what MongoDB stores, so the hash survives the round trip)."""
    moment = now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class AuditRepository:
    def __init__(self, db):
        self.collection = db["audit_events"]
        self.heads = db["audit_heads"]

    @staticmethod
    def ensure_indexes(db):
        events = db["audit_events"]
        events.create_index([("workspace_id", ASCENDING), ("seq", ASCENDING)], unique=True)
        events.create_index([("workspace_id", ASCENDING), ("time", DESCENDING)])
        events.create_index([("workspace_id", ASCENDING), ("action", ASCENDING)])

    @staticmethod
    def ensure_retention(db, days=DEFAULT_RETENTION_DAYS):
        """The TTL index that drops events older than ``days`` (changed in place when the
        setting changes)."""
        events = db["audit_events"]
        seconds = int(float(days) * 86400)
        try:
            events.create_index([("time", ASCENDING)], name=TTL_INDEX, expireAfterSeconds=seconds)
        except OperationFailure:  # the index exists with another expiry: change it in place
            db.command(
                "collMod",
                "audit_events",
                index={"name": TTL_INDEX, "expireAfterSeconds": seconds},
            )

    def append(self, event):
        """Add ``event`` (a dict without chain fields) at the end of its workspace's chain;
        return the stored event. Retries while other writers take the next number."""
        for _ in range(MAX_ATTEMPTS):
            chained = self._chain_onto(self.tip(event["workspace_id"]), event)
            try:
                self.collection.insert_one(chained)
            except DuplicateKeyError:
                continue
            self._advance_head(chained)
            return chained
        raise AuditChainBusy(f"audit chain of {event['workspace_id']} stayed busy")

    @staticmethod
    def _chain_onto(tip, event):
        chained = {
            **event,
            "seq": tip["seq"] + 1,
            "prev_hash": tip["hash"],
            "prev_time": tip.get("time"),
        }
        chained["hash"] = event_hash(chained)
        return chained

    def tip(self, workspace_id):
        """The last event of the chain (``seq``, ``hash``, ``time``).

        Read from the head document, then forward by exact ``seq`` lookups on the unique
        index past any event a writer stored without moving the head (it died in between):
        constant time however long the chain. With no head yet (a chain older than heads),
        the newest stored event, else the genesis.
        """
        tip = self.head(workspace_id)
        if tip is None:
            tip = self.collection.find_one(
                {"workspace_id": workspace_id},
                {"seq": 1, "hash": 1, "time": 1},
                sort=[("seq", DESCENDING)],
            )
        if tip is None:
            return {"seq": 0, "hash": GENESIS, "time": None}
        while True:
            following = self.collection.find_one(
                {"workspace_id": workspace_id, "seq": tip["seq"] + 1},
                {"seq": 1, "hash": 1, "time": 1},
            )
            if following is None:
                return tip
            tip = following

    def _advance_head(self, event):
        """Move the head forward to ``event`` (never back: a slower writer's older event
        leaves a newer head alone)."""
        try:
            self.heads.update_one(
                {"_id": _head_key(event["workspace_id"]), "seq": {"$lt": event["seq"]}},
                {"$set": {"seq": event["seq"], "hash": event["hash"], "time": event["time"]}},
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # the head is already past this event

    def head(self, workspace_id):
        """The last ``seq``, ``hash`` and ``time`` appended to a chain, or None."""
        return self.heads.find_one({"_id": _head_key(workspace_id)})

    def chain(self, workspace_id):
        """Every stored event of a workspace, in chain order."""
        return self.collection.find({"workspace_id": workspace_id}, sort=[("seq", ASCENDING)])

    def workspace_ids(self):
        """Every chain (events or a head): workspace ids, and None for the site chain."""
        heads = {None if key == SITE else key for key in self.heads.distinct("_id")}
        chains = set(self.collection.distinct("workspace_id")) | heads
        return sorted(chains, key=lambda key: key or "")

    def find(self, criteria, skip=0, limit=None):
        """Events matching ``criteria``, newest first."""
        cursor = self.collection.find(criteria, {"_id": 0}).sort(
            [("time", DESCENDING), ("seq", DESCENDING)]
        )
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return cursor

    def in_chain_order(self, criteria):
        """Events matching ``criteria``, chain by chain, oldest first (for exports)."""
        return self.collection.find(criteria, {"_id": 0}).sort(
            [("workspace_id", ASCENDING), ("seq", ASCENDING)]
        )

    def count(self, criteria):
        return self.collection.count_documents(criteria)

    def actions(self, criteria):
        """The distinct actions recorded under ``criteria`` (for the filter's choices)."""
        return sorted(a for a in self.collection.distinct("action", criteria) if a)


def _head_key(workspace_id):
    return workspace_id or SITE
