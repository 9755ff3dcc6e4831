"""Helpers shared by the repositories: ids and timestamps."""

from datetime import UTC, datetime

from bson import ObjectId
from bson.errors import InvalidId

from exception_layer.errors import NotFound


def now():
    return datetime.now(UTC)


def object_id(value, what="item"):
    """Parse an id from a URL or body; a malformed id is simply not found."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError) as exc:
        raise NotFound(f"That {what} does not exist.") from exc
