"""A per-process cache of reads, each valid while the collections it read did not change.

Pages read the same few things again and again (a workspace's projects, runs, validations),
and on the embedded database every find costs a millisecond of a shared core. A cached read
is kept with the change feed's stamp of the collections it depends on (``entity.change_feed``)
and served while that stamp holds: a write by any process (another gunicorn worker, a Celery
worker, the CLI) moves the stamp within the stream's latency (milliseconds), and the next
read goes to the database. Without an open stream nothing is served from the cache.

Cached values are shared between requests: callers only read them (pages, JSON).
"""

import threading
import time
from functools import wraps

from entity.change_feed import feed_for

MAX_ENTRIES = 5_000

_entries = {}  # (client id, db name, what) -> (stamp, expires at, value)
_lock = threading.Lock()


def read(db, what, depends_on, load, max_age_s=None):
    """``load()``, or its cached value while the stamp of ``depends_on`` has not moved.

    ``what`` identifies the read (with its arguments); ``depends_on`` names collections or
    (collection, key) pairs (see ``change_feed.KEYED``). ``max_age_s`` bounds how long a
    value that also depends on something outside the database (files in storage, the date)
    is served.
    """
    stamp = feed_for(db).stamp(*depends_on)
    if stamp is None:
        return load()
    key = (id(db.client), db.name, what)
    entry = _entries.get(key)
    now = time.monotonic()
    if entry is not None and entry[0] == stamp and (max_age_s is None or entry[1] > now):
        return entry[2]
    value = load()  # read after the stamp: a change during the read moves it past ``stamp``
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (stamp, now + (max_age_s or 0), value)
    return value


def cached_read(*collections):
    """Cache a repository method's result (the repository's ``db``) per arguments, while
    ``collections`` did not change."""

    def decorator(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            what = (method.__qualname__, args, tuple(sorted(kwargs.items())))
            return read(_db_of(self), what, collections, lambda: method(self, *args, **kwargs))

        return wrapper

    return decorator


def _db_of(repository):
    for name in ("collection", "col", "stats"):
        collection = getattr(repository, name, None)
        if collection is not None:
            return collection.database
    return repository.db
