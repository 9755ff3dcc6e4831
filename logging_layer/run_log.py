"""A run's log: every line to MongoDB (run id, sequence, time, level, step), then to storage.

``RunLog`` has the logger methods the pipelines call (``info``, ``warning``, ``error``,
``exception``, ``debug`` with %-style arguments), so a pipeline can be handed either a stdlib
logger or a run's log. Lines are plain key=value text, never HTML.
"""

import logging
import threading

from pymongo import ASCENDING, DESCENDING

from entity.records import now

logger = logging.getLogger(__name__)

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PAGE = 500


class RunLog:
    def __init__(self, db, run, mirror=None):
        self.collection = db["run_logs"]
        self.run_id = run.id
        self.workspace_id = run.workspace_id
        self.step = "start"
        self.mirror = mirror or logger
        self._lock = threading.Lock()
        last = self.collection.find_one({"run_id": self.run_id}, sort=[("seq", DESCENDING)])
        self._seq = last["seq"] if last else 0

    @staticmethod
    def ensure_indexes(db):
        db["run_logs"].create_index([("run_id", ASCENDING), ("seq", ASCENDING)], unique=True)

    def log(self, level, message, *args, step=None):
        text = message % args if args else str(message)
        with self._lock:
            self._seq += 1
            record = {
                "run_id": self.run_id,
                "workspace_id": self.workspace_id,
                "seq": self._seq,
                "time": now(),
                "level": level,
                "step": step or self.step,
                "message": text,
            }
            self.collection.insert_one(record)
        self.mirror.log(getattr(logging, level), "run=%s %s", self.run_id, text)
        return record

    def debug(self, message, *args):
        return self.log("DEBUG", message, *args)

    def info(self, message, *args):
        return self.log("INFO", message, *args)

    def warning(self, message, *args):
        return self.log("WARNING", message, *args)

    def error(self, message, *args):
        return self.log("ERROR", message, *args)

    def exception(self, message, *args):
        return self.log("ERROR", message, *args)

    def text(self):
        return render(lines(self.collection.database, self.run_id))


def lines(db, run_id, after=0, limit=None):
    cursor = db["run_logs"].find({"run_id": run_id, "seq": {"$gt": int(after)}}, {"_id": 0})
    cursor = cursor.sort("seq", ASCENDING)
    if limit:
        cursor = cursor.limit(limit)
    return list(cursor)


def page(db, run_id, after=0, limit=PAGE):
    """Records after ``after`` and the cursor to pass next time."""
    records = lines(db, run_id, after, limit)
    cursor = records[-1]["seq"] if records else int(after)
    return [to_json(r) for r in records], cursor


def to_json(record):
    return {
        "seq": record["seq"],
        "time": record["time"].isoformat(),
        "level": record["level"],
        "step": record.get("step"),
        "message": record["message"],
    }


def render(records):
    return "".join(
        f"{r['time'].strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} {r['level']:<7} "
        f"[{r.get('step') or '-'}] {r['message']}\n"
        for r in records
    )


def last_lines(db, run_id, count=15):
    cursor = db["run_logs"].find({"run_id": run_id}).sort("seq", DESCENDING).limit(count)
    return render(reversed(list(cursor)))
