"""The platform's error hierarchy.

Every error a user may see is an ``AppError``: it carries an HTTP status, a stable
machine-readable ``code`` and a message written for a person. Messages never hold a
traceback, a file system path or a line number; the handler in ``exception_layer.handlers``
turns them into an HTML page or a JSON body.
"""

from pymongo.errors import ConnectionFailure


class AppError(Exception):
    status_code = 500
    code = "internal_error"
    default_message = "Something went wrong on our side. The error was logged."

    def __init__(self, message=None, *, code=None, details=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)


class ValidationError(AppError):
    status_code = 400
    code = "invalid_input"
    default_message = "The input is not valid."


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "Sign in, or send a valid access token."


class PermissionDenied(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "Your role in this workspace does not allow that."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "That conflicts with the current state."


class PayloadTooLarge(AppError):
    status_code = 413
    code = "too_large"
    default_message = "The upload is larger than this platform accepts."


class StorageError(AppError):
    """A storage provider failed; the message says what a person can do about it."""

    status_code = 502
    code = "storage_error"
    default_message = "The storage provider could not complete the request."


class UnprocessableEntity(AppError):
    """Well-formed, but the content breaks the rules (e.g. rows that do not fit the schema);
    ``details`` locates every problem."""

    status_code = 422
    code = "invalid_rows"
    default_message = "The request's content does not fit the rules."


class ServiceUnavailable(AppError):
    status_code = 503
    code = "unavailable"
    default_message = "This service cannot answer right now."
    retry_after_s = None  # sent as Retry-After when set


class DatabaseUnavailable(ServiceUnavailable):
    """The database did not answer (down, restarting, or unreachable over the network)."""

    code = "database_unavailable"
    default_message = (
        "The database is unreachable right now, so this could not be done. "
        "Try again in a few seconds."
    )
    retry_after_s = 5


def as_app_error(exc):
    """``exc`` as the AppError a person should read, or None when it is none of ours.

    The database driver's connection failures (server selection timed out, connection
    refused or reset) all mean the same thing to a person: the database is unreachable.
    """
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ConnectionFailure):
        return DatabaseUnavailable()
    return None
