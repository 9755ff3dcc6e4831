"""A short-lived, per-process cache of a signed-in user and their workspace memberships.

Every page needs the user, their workspaces (for the switcher) and their role. On the embedded
database each lookup costs a millisecond or two of a shared core, and those lookups dominated
every page. An entry lives ``TTL_S`` seconds; writes made through the repositories of this
process drop the affected entries at once, and other processes (gunicorn workers) see a change
within ``TTL_S`` seconds, or as soon as their change feed sees it (``entity.change_feed``
drops every entry when users, workspaces, memberships or tokens change). API tokens are
cached only on the endpoints a client calls again and again (prediction, run-log polls):
a revoked token stops at once in this process and in the others as above; everywhere else
it stops at once.
"""

import threading
import time

TTL_S = 2.0

MAX_ENTRIES = 10_000

_entries = {}  # (database name, kind, user or workspace id) -> (expires at, value)
_lock = threading.Lock()


def cached(db, kind, owner_id, load):
    key = (db.name, kind, owner_id)
    now = time.monotonic()
    entry = _entries.get(key)
    if entry and entry[0] > now:
        return entry[1]
    value = load()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            for stale in [k for k, (expires, _) in _entries.items() if expires <= now]:
                del _entries[stale]
        _entries[key] = (now + TTL_S, value)
    return value


def forget(*owner_ids):
    """Drop the entries of these user or workspace ids; with none given, drop everything."""
    with _lock:
        if not owner_ids:
            _entries.clear()
            return
        for key in [k for k in _entries if k[2] in owner_ids]:
            del _entries[key]
