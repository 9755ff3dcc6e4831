"""What a view needs from the running app, in one place: the store, the run executor, the
signing secret, and the acting user and workspace of this request."""

from flask import current_app, g
from flask_login import current_user


def get_store(app=None):
    return (app or current_app).extensions["store"]


def get_db(app=None):
    return get_store(app).db


def executor():
    return current_app.extensions["run_executor"]


def deletions():
    """The deletion runner (``thread_layer.deletion``)."""
    return current_app.extensions["deletion_runner"]


def secret():
    return current_app.config["SECRET_KEY"]


def workspace_id():
    return g.workspace.id


def actor():
    """The signed-in user (the real object behind flask-login's proxy)."""
    return current_user._get_current_object()


def workspace():
    return g.workspace


def now():
    """The current time, through the ticker's clock (one clock for schedules and views)."""
    return current_app.extensions["ticker"].clock()
