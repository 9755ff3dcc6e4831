"""Logging configured once per process, plus one request log line per request."""

import logging
import re
import time
import uuid

from flask import g, request

from logging_layer.run_log import RunContextFilter, install_run_log

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s run=%(run_id)s %(message)s"


def configure_logging(app):
    root = logging.getLogger()
    if not any(getattr(h, "_mlp", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RunContextFilter())
        handler._mlp = True
        root.addHandler(handler)
    install_run_log(root)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    for noisy in ("pymongo", "urllib3", "botocore", "azure", "google", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    request_log = logging.getLogger("mlp.request")

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()
        g.request_id = request_id()

    @app.after_request
    def log_request(response):
        if request.endpoint == "static":
            return response
        started = g.get("request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else -1
        user = g.get("user_id") or "-"
        workspace = g.workspace.id if g.get("workspace") else "-"
        response.headers.setdefault("X-Request-Id", g.get("request_id", "-"))
        request_log.info(
            "request_id=%s method=%s path=%s status=%s user=%s workspace=%s duration_ms=%.1f",
            g.get("request_id", "-"),
            request.method,
            request.path,
            response.status_code,
            user,
            workspace,
            duration_ms,
        )
        return response


def request_id():
    """The request's id for the log line and the audit trail: a proxy's ``X-Request-Id`` when
    it is a plain token, else a new one."""
    given = request.headers.get("X-Request-Id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
