"""One place that turns every error into a page or a JSON body a person can read."""

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exception_layer.errors import AppError

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


def register_error_handlers(app):
    @app.errorhandler(AppError)
    def handle_app_error(error):
        if error.status_code >= 500:
            logger.warning(
                "error=%s status=%s message=%r", error.code, error.status_code, error.message
            )
        return render_error(error.status_code, error.code, error.message, error.details)

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
