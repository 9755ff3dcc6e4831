"""The one MongoClient of each process for a URI, and the database it names."""

import logging
import os

from pymongo import MongoClient

logger = logging.getLogger(__name__)

_clients = {}  # (pid, uri) -> MongoClient; pymongo clients are not fork-safe


def client_for(uri):
    key = (os.getpid(), uri)
    client = _clients.get(key)
    if client is None:
        client = MongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=10_000, appname="ml-platform"
        )
        _clients[key] = client
    return client


def database(uri, name):
    """The database ``name`` through this process's client for ``uri``."""
    return client_for(uri)[name]


def close_clients():
    """Close this process's clients (before stopping a server they talk to)."""
    for key in [k for k in _clients if k[0] == os.getpid()]:
        _clients.pop(key).close()
