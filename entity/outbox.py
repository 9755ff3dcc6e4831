"""The outbox: every run email, with its delivery state, for the sender and for site admins.

A mail is ``queued`` (waiting for its first or next attempt at ``next_attempt_at``), then
``sending`` (claimed by one process's sender), then ``sent`` or ``failed`` (refused, or out of
attempts); ``attempts`` and ``last_error`` say how it went. With no SMTP server configured,
mails are ``kept`` here to be read instead. A claim is one ``find_one_and_update``, so with any
number of processes each attempt is made by exactly one; a claim whose process died is
retaken once it is older than ``stale_before``.
"""

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from entity.records import now, object_id

STATES = ("queued", "sending", "sent", "failed", "kept")


class OutboxRepository:
    def __init__(self, db):
        self.collection = db["outbox"]

    @staticmethod
    def ensure_indexes(db):
        db["outbox"].create_index([("created_at", DESCENDING)])
        db["outbox"].create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])

    def keep(self, *, to, subject, body, run_id, workspace_id, reason):
        """Keep a mail to be read here (no SMTP server is configured)."""
        self._insert(to, subject, body, run_id, workspace_id, status="kept", reason=reason)

    def enqueue(self, *, to, subject, body, run_id, workspace_id):
        """Queue a mail for the sender, due at once."""
        stamp = now()
        self._insert(
            to, subject, body, run_id, workspace_id, status="queued", next_attempt_at=stamp
        )

    def _insert(self, to, subject, body, run_id, workspace_id, **state):
        self.collection.insert_one(
            {
                "to": to,
                "subject": subject,
                "body": body,
                "run_id": run_id,
                "workspace_id": workspace_id,
                "created_at": now(),
                "attempts": 0,
                "last_error": None,
                **state,
            }
        )

    def _due(self, moment, stale_before):
        return {
            "$or": [
                {"status": "queued", "next_attempt_at": {"$lte": moment}},
                {"status": "sending", "claimed_at": {"$lt": stale_before}},
            ]
        }

    def claim_due(self, moment, worker, stale_before):
        """Take the oldest mail due for an attempt (or left ``sending`` by a process that
        stopped); None when none is due."""
        return self.collection.find_one_and_update(
            self._due(moment, stale_before),
            {"$set": {"status": "sending", "claimed_by": worker, "claimed_at": moment}},
            sort=[("next_attempt_at", ASCENDING), ("created_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def has_due(self, moment, stale_before):
        return self.collection.find_one(self._due(moment, stale_before), {"_id": 1}) is not None

    def next_attempt_at(self):
        """When the next queued mail is due, or None when nothing is queued."""
        doc = self.collection.find_one(
            {"status": "queued"}, {"next_attempt_at": 1}, sort=[("next_attempt_at", ASCENDING)]
        )
        return doc["next_attempt_at"] if doc else None

    def sent(self, message):
        self._attempted(message, {"status": "sent", "sent_at": now()})

    def retry_at(self, message, error, moment):
        self._attempted(
            message, {"status": "queued", "last_error": error, "next_attempt_at": moment}
        )

    def failed(self, message, error):
        self._attempted(message, {"status": "failed", "last_error": error})

    def _attempted(self, message, values):
        """Record one attempt of a mail this sender still holds (a retaken claim wins)."""
        self.collection.update_one(
            {
                "_id": object_id(message["_id"]),
                "status": "sending",
                "claimed_by": message["claimed_by"],
            },
            {"$set": {**values, "last_attempt_at": now()}, "$inc": {"attempts": 1}},
        )

    def delete_for_runs(self, run_ids):
        """Drop the mails about these runs (their project is being deleted)."""
        return self.collection.delete_many({"run_id": {"$in": list(run_ids)}}).deleted_count

    def latest(self, limit=200):
        return list(self.collection.find().sort("created_at", DESCENDING).limit(limit))

    def counts(self):
        """{state: number of mails} over the whole outbox (mails from before states: kept)."""
        totals = dict.fromkeys(STATES, 0)
        for row in self.collection.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
            state = row["_id"] or "kept"
            totals[state] = totals.get(state, 0) + row["n"]
        return totals
