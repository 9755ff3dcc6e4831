"""A run's log lines: one document per line (run id, sequence, time, level, step, text)."""

from pymongo import ASCENDING, DESCENDING

PAGE = 500


class RunLogRepository:
    def __init__(self, db):
        self.collection = db["run_logs"]

    @staticmethod
    def ensure_indexes(db):
        db["run_logs"].create_index([("run_id", ASCENDING), ("seq", ASCENDING)], unique=True)

    def delete_for_runs(self, run_ids):
        """Drop the log lines of these runs; return how many."""
        return self.collection.delete_many({"run_id": {"$in": list(run_ids)}}).deleted_count

    def last_seq(self, run_id):
        last = self.collection.find_one({"run_id": run_id}, sort=[("seq", DESCENDING)])
        return last["seq"] if last else 0

    def append(self, record):
        self.collection.insert_one(dict(record))

    def lines(self, run_id, after=0, limit=None):
        cursor = self.collection.find({"run_id": run_id, "seq": {"$gt": int(after)}}, {"_id": 0})
        cursor = cursor.sort("seq", ASCENDING)
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def last(self, run_id, count):
        cursor = self.collection.find({"run_id": run_id}, {"_id": 0})
        return list(reversed(list(cursor.sort("seq", DESCENDING).limit(count))))
