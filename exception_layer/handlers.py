"""One place that turns every error into a page or a JSON body a person can read."""

import logging

from flask import g, jsonify, make_response, render_template, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException

from exception_layer.errors import AppError, DatabaseUnavailable

logger = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: "The request could not be understood.",
    404: "There is nothing here.",
    405: "That action is not available here.",
    413: "The upload is larger than this platform accepts.",
    429: "Too many attempts. Wait a minute and try again.",
}


def wants_json():
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(status, code, message, details=None):
    if wants_json():
        body = {"code": code, "message": message}
        if details is not None:
            body["details"] = details
        return jsonify({"error": body}), status
    return render_template("error.html", status=status, message=message), status


def render_app_error(error):
    """An AppError's page or body, with ``Retry-After`` when it says when to come back."""
    response, status = render_error(error.status_code, error.code, error.message, error.details)
    response = make_response(response)
    if getattr(error, "retry_after_s", None):
        response.headers["Retry-After"] = str(error.retry_after_s)
    return response, status


def register_error_handlers(app):
    @app.errorhandler(AppError)
    def handle_app_error(error):
        if error.status_code >= 500:
            logger.warning(
                "error=%s status=%s message=%r", error.code, error.status_code, error.message
            )
        return render_app_error(error)

    @app.errorhandler(ConnectionFailure)
    def handle_database_unreachable(error):
        logger.warning(
            "error=database_unavailable path=%s reason=%s: %.200s",
            request.path,
            type(error).__name__,
            error,
        )
        if "_login_user" not in g:  # the page's header must not ask the database again
            g._login_user = AnonymousUserMixin()
        return render_app_error(DatabaseUnavailable())

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        return render_error(
            400,
            "csrf_failed",
            "The form expired or did not come from this site. Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def handle_http(error):
        code = (error.name or "error").lower().replace(" ", "_")
        message = HTTP_MESSAGES.get(error.code) or error.name
        return render_error(error.code or 500, code, message)

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        logger.exception("error=unhandled path=%s", request.path)
        return render_error(
            500, "internal_error", "Something went wrong on our side. The error was logged."
        )
