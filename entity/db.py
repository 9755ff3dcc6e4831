"""The one MongoClient of the process, and ``get_db()`` to reach the app's database."""

import logging
import os

from flask import current_app
from pymongo import MongoClient

from entity.embedded_server import ensure_server

logger = logging.getLogger(__name__)

_clients = {}  # (pid, uri) -> MongoClient; pymongo clients are not fork-safe


def init_db(app):
    uri = app.config.get("MONGODB_URI")
    if not uri:
        uri = ensure_server(app.config["DATA_DIR"], app.config["EMBEDDED_DB_CACHE"])
        app.config["MONGODB_URI"] = uri
        app.config["EMBEDDED_DB"] = True
    app.extensions["mongo_db_name"] = app.config["MONGODB_DB"]


def client_for(uri):
    key = (os.getpid(), uri)
    client = _clients.get(key)
    if client is None:
        client = MongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=10_000, appname="ml-platform"
        )
        _clients[key] = client
    return client


def get_db(app=None):
    app = app or current_app
    return client_for(app.config["MONGODB_URI"])[app.extensions["mongo_db_name"]]


def close_clients():
    """Close this process's clients (before stopping a server they talk to)."""
    for key in [k for k in _clients if k[0] == os.getpid()]:
        _clients.pop(key).close()
