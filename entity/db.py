"""The one MongoClient of each process for a URI, and the database it names.

A request must not hang while the database is away: server selection gives up after
``timeout_s`` (a few seconds, ``MLP_MONGODB_TIMEOUT_SECONDS``), and the error handler answers
503. The driver's monitor checks the server every ``HEARTBEAT_MS``; when a check fails, the
callback registered for the URI with ``when_unreachable`` runs (the embedded server uses it to
start itself again).
"""

import logging
import os
import threading

from pymongo import MongoClient, monitoring

from entity.change_feed import LOCAL_WRITES

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0
HEARTBEAT_MS = 2000  # how soon a process notices a server that went away while idle

_clients = {}  # (pid, uri) -> MongoClient; pymongo clients are not fork-safe
_on_unreachable = {}  # uri -> callable, run in a thread of its own


def client_for(uri, timeout_s=None):
    """This process's client for ``uri`` (the first call's ``timeout_s`` holds for it)."""
    key = (os.getpid(), uri)
    client = _clients.get(key)
    if client is None:
        client = MongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=int(1000 * (timeout_s or DEFAULT_TIMEOUT_S)),
            heartbeatFrequencyMS=HEARTBEAT_MS,
            event_listeners=[_Unreachable(uri), LOCAL_WRITES],
            appname="ml-platform",
        )
        _clients[key] = client
    return client


def database(uri, name, timeout_s=None):
    """The database ``name`` through this process's client for ``uri``."""
    return client_for(uri, timeout_s)[name]


def when_unreachable(uri, callback):
    """Call ``callback()`` when this process's driver finds the server of ``uri`` gone."""
    _on_unreachable[uri] = callback


def close_clients():
    """Close this process's clients (before stopping a server they talk to)."""
    for key in [k for k in _clients if k[0] == os.getpid()]:
        _clients.pop(key).close()


def close_client(uri):
    """Close this process's client for ``uri`` and forget its callback (its server is about
    to stop for good)."""
    _on_unreachable.pop(uri, None)
    client = _clients.pop((os.getpid(), uri), None)
    if client is not None:
        client.close()


class _Unreachable(monitoring.ServerHeartbeatListener):
    """Runs the URI's callback, once at a time, after a failed check of its server (the
    driver's monitor thread must not wait for it)."""

    def __init__(self, uri):
        self.uri = uri
        self._running = threading.Lock()

    def started(self, event):
        pass

    def succeeded(self, event):
        pass

    def failed(self, event):
        callback = _on_unreachable.get(self.uri)
        if callback is not None and self._running.acquire(blocking=False):
            threading.Thread(target=self._run, args=(callback,), daemon=True).start()

    def _run(self, callback):
        try:
            callback()
        except Exception:  # noqa: BLE001 - a thread's boundary: log, the next check retries
            logger.exception("database_unreachable_callback_failed")
        finally:
            self._running.release()
