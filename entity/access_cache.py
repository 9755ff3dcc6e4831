"""A short-lived, per-process cache of a signed-in user and their workspace memberships.

Every page needs the user, their workspaces (for the switcher) and their role. On the embedded
database each lookup costs a millisecond or two of a shared core, and those lookups dominated
every page. An entry lives ``TTL_S`` seconds; writes made through the repositories of this
process drop the affected entries at once, and other processes (gunicorn workers) see a change
within ``TTL_S`` seconds. API tokens are never cached: a revoked token stops at once.
"""

import threading
import time

TTL_S = 2.0

_entries = {}  # (database name, kind, user id) -> (expires at, value)
_lock = threading.Lock()


def cached(db, kind, user_id, load):
    key = (db.name, kind, user_id)
    now = time.monotonic()
    entry = _entries.get(key)
    if entry and entry[0] > now:
        return entry[1]
    value = load()
    with _lock:
        _entries[key] = (now + TTL_S, value)
    return value


def forget(user_id=None):
    """Drop one user's entries, or everyone's."""
    with _lock:
        if user_id is None:
            _entries.clear()
        else:
            for key in [k for k in _entries if k[2] == user_id]:
                del _entries[key]
