"""What changed in a database, as counters a per-process cache compares: its change stream.

Each process (a gunicorn worker, a Celery worker, a test) keeps one feed per database. A
thread of the feed follows the database's change stream and bumps a counter per collection,
and one per key a collection names (``KEYED``: a run's log lines by ``run_id``), for every
write any process makes; this process's own writes count the moment they are acknowledged
(``LocalWrites``). A cached value remembers the counters it was read under (``stamp``), so
it is served again only while none of them moved.

While the stream is not open (starting, the server away, an error) ``stamp`` returns None
and callers read the database: the cache never serves what it cannot vouch for. The thread
starts on first use and stops after ``IDLE_STOP_S`` without use, or when its database is
dropped; every restart begins a new epoch, so entries of an earlier stream never match.
The embedded server and a MongoDB replica set both have change streams; a standalone
``mongod`` has none, and then every read goes to the database as before.
"""

import logging
import threading
import time

from pymongo import monitoring
from pymongo.errors import InvalidOperation, PyMongoError

from entity import access_cache

logger = logging.getLogger(__name__)

AWAIT_MS = 250  # how long one getMore waits for an event (events arrive at once anyway)
IDLE_STOP_S = 120.0
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)

# Collections whose inserts also count per key: collection -> field of the inserted document
# (a run's log lines by run id). Any other change of such a collection starts a new epoch.
KEYED = {"run_logs": "run_id"}
# Changes that the short-lived access cache must forget at once in every process.
ACCESS = {"users", "workspaces", "memberships", "api_tokens"}

_feeds = {}
_feeds_lock = threading.Lock()


def feed_for(db):
    """The process's feed of ``db`` (one per client and database name)."""
    key = (id(db.client), db.name)
    with _feeds_lock:
        feed = _feeds.get(key)
        if feed is None:
            feed = _feeds[key] = ChangeFeed(db)
        return feed


class ChangeFeed:
    def __init__(self, db, idle_stop_s=IDLE_STOP_S):
        self.db = db
        self.idle_stop_s = idle_stop_s
        self._lock = threading.Lock()
        self._thread = None
        self._live = False
        self._epoch = 0
        self._counts = {}  # collection or (collection, key) -> int
        self._used = time.monotonic()
        self._stopping = False

    @property
    def live(self):
        return self._live

    def stamp(self, *names):
        """The counters of these collections or (collection, key) pairs now, with the epoch;
        None while the stream is not open (then nothing may be served from a cache)."""
        self._used = time.monotonic()
        if not self._live:
            self._start()
            return None
        counts = self._counts
        return (self._epoch, *(counts.get(name, 0) for name in names))

    def wait_live(self, timeout_s=5.0):
        """Start the stream if needed and wait until it is open (tests, warm-up)."""
        self._used = time.monotonic()
        self._start()
        deadline = time.monotonic() + timeout_s
        while not self._live and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._live

    def stop(self):
        self._stopping = True
        self._live = False

    def _start(self):
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._follow, name=f"change-feed-{self.db.name}", daemon=True
            )
            self._thread.start()

    def _follow(self):
        failures = 0
        while not self._stopping:
            try:
                self._stream()
                return
            except InvalidOperation:  # the client was closed: this process is done with it
                self._go_dark()
                return
            except PyMongoError as error:
                self._go_dark()
                delay = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                logger.warning(
                    "change_feed=reopening db=%s in_s=%s error=%s", self.db.name, delay, error
                )
                time.sleep(delay)

    def _stream(self):
        with self.db.watch(max_await_time_ms=AWAIT_MS) as stream:
            self._epoch += 1
            self._live = True
            access_cache.forget()  # what changed while no stream was open is unknown
            while not self._stopping:
                change = stream.try_next()
                if change is not None:
                    if not self._apply(change):
                        break
                elif time.monotonic() - self._used > self.idle_stop_s:
                    break
        self._go_dark()
        self._stopping = True

    def _go_dark(self):
        self._live = False
        self._epoch += 1

    def count(self, collection, keys=None):
        """Count a write of this process at once (its event follows, and counts again)."""
        counts = self._counts
        counts[collection] = counts.get(collection, 0) + 1
        if collection in KEYED:
            if keys is None:
                self._epoch += 1
            for key in keys or ():
                name = (collection, key)
                counts[name] = counts.get(name, 0) + 1
        if collection in ACCESS:
            access_cache.forget()

    def _apply(self, change):
        """Count one change; False when the stream ended (the database was dropped)."""
        kind = change.get("operationType")
        if kind in ("dropDatabase", "invalidate"):
            return False
        collection = (change.get("ns") or {}).get("coll")
        if not collection:
            return True
        counts = self._counts
        counts[collection] = counts.get(collection, 0) + 1
        field = KEYED.get(collection)
        if field:
            key = _key_of(change, field)
            if key is None:  # a change that names no key: no keyed entry may stay
                self._epoch += 1
            else:
                name = (collection, key)
                counts[name] = counts.get(name, 0) + 1
        if collection in ACCESS:
            access_cache.forget()
        return True


def _key_of(change, field):
    if change.get("operationType") != "insert":
        return None
    value = (change.get("fullDocument") or {}).get(field)
    return None if value is None else str(value)


class LocalWrites(monitoring.CommandListener):
    """Counts this process's own writes when the server acknowledges them, before the
    change stream brings them: a page that redirects after a write reads it back at once."""

    WRITES = frozenset({"insert", "update", "delete", "findAndModify"})

    def __init__(self):
        self._pending = {}

    def started(self, event):
        if event.command_name not in self.WRITES:
            return
        collection = event.command.get(event.command_name)
        keys = None
        field = KEYED.get(collection)
        if field and event.command_name == "insert":
            documents = event.command.get("documents") or []
            keys = [str(doc.get(field)) for doc in documents if doc.get(field) is not None]
            keys = keys if len(keys) == len(documents) else None
        self._pending[(event.connection_id, event.request_id)] = (
            event.database_name,
            collection,
            keys,
        )

    def succeeded(self, event):
        self._settle(event)

    def failed(self, event):
        self._settle(event)

    def _settle(self, event):
        pending = self._pending.pop((event.connection_id, event.request_id), None)
        if pending is None:
            return
        database_name, collection, keys = pending
        for feed in [f for f in list(_feeds.values()) if f.db.name == database_name]:
            feed.count(collection, keys)


LOCAL_WRITES = LocalWrites()
