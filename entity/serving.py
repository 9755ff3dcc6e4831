"""Online prediction records: per project and day, calls, errors and a latency histogram;
and a bounded sample of requests with their answers (30 days, then MongoDB's TTL drops it)."""

from datetime import timedelta

import bson
from pymongo import ASCENDING, DESCENDING

from entity.records import now

SAMPLE_DAYS = 30
# A sample larger than this once encoded is kept as a note: the request is the caller's to
# keep, and MongoDB refuses a document over 16 MB (a wide 10,000-row call can pass it).
SAMPLE_MAX_BYTES = 256 * 1024
# Upper bounds (ms) of the latency histogram's buckets; the last one takes the rest.
BUCKETS_MS = (1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120, 200, 300, 500, 800, 1200, 2000, 5000)


class ServingRepository:
    def __init__(self, db):
        self.stats = db["serving_stats"]
        self.samples = db["serving_samples"]

    @staticmethod
    def ensure_indexes(db):
        db["serving_stats"].create_index([("project_id", ASCENDING), ("day", DESCENDING)])
        db["serving_samples"].create_index([("project_id", ASCENDING), ("at", DESCENDING)])
        db["serving_samples"].create_index(
            [("at", ASCENDING)], expireAfterSeconds=int(timedelta(days=SAMPLE_DAYS).total_seconds())
        )

    def add(self, workspace_id, project_id, day, calls, errors, rows, buckets):
        """Add a batch of counts (flushed from one process's memory)."""
        inc = {"calls": calls, "errors": errors, "rows": rows}
        inc.update({f"latency.{k}": v for k, v in buckets.items() if v})
        self.stats.update_one(
            {"_id": f"{project_id}:{day}"},
            {
                "$inc": inc,
                "$setOnInsert": {
                    "workspace_id": workspace_id,
                    "project_id": project_id,
                    "day": day,
                },
            },
            upsert=True,
        )

    def days(self, workspace_id, project_id, count=7):
        """The counts of the last ``count`` calendar days (today included), newest first."""
        first = (now().date() - timedelta(days=count - 1)).isoformat()
        cursor = self.stats.find(
            {"workspace_id": workspace_id, "project_id": project_id, "day": {"$gte": first}}
        )
        return list(cursor.sort("day", DESCENDING))

    def sampled_today(self, project_id, day):
        doc = self.stats.find_one({"_id": f"{project_id}:{day}"}, {"sampled": 1})
        return (doc or {}).get("sampled", 0)

    def keep_samples(self, workspace_id, project_id, day, samples):
        if not samples:
            return
        self.samples.insert_many(
            [
                {"workspace_id": workspace_id, "project_id": project_id, "at": now(), **_kept(s)}
                for s in samples
            ]
        )
        self.stats.update_one(
            {"_id": f"{project_id}:{day}"}, {"$inc": {"sampled": len(samples)}}, upsert=True
        )

    def recent_samples(self, workspace_id, project_id, limit=100):
        cursor = self.samples.find(
            {"workspace_id": workspace_id, "project_id": project_id}, {"_id": 0}
        )
        return list(cursor.sort("at", DESCENDING).limit(limit))

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's daily counts and samples; return how many documents."""
        query = {"workspace_id": workspace_id, "project_id": project_id}
        return self.stats.delete_many(query).deleted_count + (
            self.samples.delete_many(query).deleted_count
        )


def _kept(sample):
    """The sample itself, or a note of its size when it is too large to keep."""
    if len(bson.encode(sample)) <= SAMPLE_MAX_BYTES:
        return sample
    request = sample.get("request") or {}
    rows = request.get("rows", request.get("data")) if isinstance(request, dict) else None
    note = {"omitted": "too large to keep", "rows": len(rows) if isinstance(rows, list) else None}
    return {**sample, "request": note, "answer": None}
