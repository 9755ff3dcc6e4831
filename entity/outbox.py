"""The outbox: run emails kept when no SMTP server is configured, for site admins to read."""

from pymongo import DESCENDING

from entity.records import now


class OutboxRepository:
    def __init__(self, db):
        self.collection = db["outbox"]

    @staticmethod
    def ensure_indexes(db):
        db["outbox"].create_index([("created_at", DESCENDING)])

    def keep(self, *, to, subject, body, run_id, workspace_id, reason):
        self.collection.insert_one(
            {
                "to": to,
                "subject": subject,
                "body": body,
                "run_id": run_id,
                "workspace_id": workspace_id,
                "created_at": now(),
                "reason": reason,
            }
        )

    def latest(self, limit=200):
        return list(self.collection.find().sort("created_at", DESCENDING).limit(limit))
