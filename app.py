"""The ML Platform application factory: ``flask --app app run``.

``create_app`` is the whole wiring in one place: settings, logging, the store, the mailer,
the run executor, every blueprint, dashboard panel, CLI group and start-up step, by name.
"""

import time
from pathlib import Path

import click
from flask import Flask, current_app, g, request
from flask.cli import run_command
from flask_limiter.util import get_qualified_name

from controllers import dashboard, openapi
from controllers.access import can, load_tenant
from controllers.accounts import api as accounts_api
from controllers.accounts import auth, profile, workspaces
from controllers.admin import cli as admin_cli
from controllers.admin import outbox, users
from controllers.audit import api as audit_api
from controllers.audit import cli as audit_cli
from controllers.audit import pages as audit_pages
from controllers.audit import trail as audit_trail
from controllers.automation import api as automation_api
from controllers.automation import cli as automation_cli
from controllers.automation import pages as automation_pages
from controllers.deletion import api as deletion_api
from controllers.deletion import pages as deletion_pages
from controllers.extensions import csrf, limiter, login_manager
from controllers.projects import api as projects_api
from controllers.projects import cli as projects_cli
from controllers.projects import pages as projects_pages
from controllers.projects import schemas as project_schemas
from controllers.projects import validations
from controllers.runs import api as runs_api
from controllers.runs import models
from controllers.runs import pages as runs_pages
from controllers.serving import api as serving_api
from controllers.serving import pages as serving_pages
from controllers.storage import api as storage_api
from controllers.storage import cli as storage_cli
from controllers.storage import connections, files
from entity.embedded_server import ensure_server, keep_alive
from entity.encryption import Encryptor
from entity.store import Store
from exception_layer.handlers import register_error_handlers
from integration import mail
from integration.registry import provider_class
from logging_layer.setup import configure_logging
from project_library.serving.service import Server
from settings import load_settings
from thread_layer.deletion import DeletionRunner
from thread_layer.executors import build_executor
from thread_layer.jobs import RunServices
from thread_layer.outbox import OutboxSender
from thread_layer.runs import recover_runs
from thread_layer.ticker import Ticker
from thread_layer.watchdog import Watchdog

BLUEPRINTS = (
    auth.bp,
    profile.bp,
    dashboard.bp,
    workspaces.bp,
    users.bp,
    accounts_api.bp,
    projects_pages.bp,
    project_schemas.bp,
    validations.bp,
    projects_api.bp,
    runs_pages.bp,
    runs_api.bp,
    models.bp,
    outbox.bp,
    files.bp,
    connections.bp,
    storage_api.bp,
    automation_api.bp,
    serving_api.bp,
    serving_pages.bp,
    automation_pages.bp,
    deletion_api.bp,
    deletion_pages.bp,
    audit_pages.bp,
    audit_api.bp,
    openapi.bp,
)
DASHBOARD_PANELS = (projects_pages.dashboard_panel, runs_pages.recent_runs_panel)
CLI_GROUPS = (
    admin_cli.users,
    admin_cli.db_group,
    projects_cli.projects_cli,
    storage_cli.keys,
    storage_cli.storage_cli,
    automation_cli.schedules_cli,
    automation_cli.watch,
    automation_cli.scheduler_cli,
    audit_cli.audit_cli,
)


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    load_settings(app, config)
    configure_logging(app)
    register_extensions(app)
    register_store(app)
    register_mail(app)
    register_runs(app)
    register_serving(app)
    register_blueprints(app)
    register_rate_limit_scope(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    recover_interrupted_runs(app)
    resume_deletions(app)
    start_ticker(app)
    return app


def register_extensions(app):
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)


def register_store(app):
    """The database (the embedded server unless MONGODB_URI is set) and its repositories."""
    app.extensions["store"] = open_store(app.config)


def open_store(config):
    """The store of these settings, with its indexes. With no MONGODB_URI, the data folder's
    embedded server is started (or found) and kept alive; its URI is recorded in ``config``."""
    if not config.get("MONGODB_URI"):
        uri = ensure_server(config["DATA_DIR"], config["EMBEDDED_DB_CACHE"])
        keep_alive(uri, config["DATA_DIR"], config["EMBEDDED_DB_CACHE"])
        config.update(MONGODB_URI=uri, EMBEDDED_DB=True)
    store = Store(
        config["MONGODB_URI"],
        config["MONGODB_DB"],
        encryptor=Encryptor(config["ENCRYPTION_KEY"]),
        files_root=str(Path(config["DATA_DIR"]) / "files"),
        provider_class=provider_class,
        timeout_s=config["MONGODB_TIMEOUT_SECONDS"],
        audit_retention_days=config["AUDIT_RETENTION_DAYS"],
    )
    store.ensure_indexes()
    return store


def settings_of(overrides=None):
    """The settings a process would start with, without building the app (for a worker
    that must record why it could not build it)."""
    bare = Flask(__name__, instance_relative_config=True)
    load_settings(bare, overrides)
    return bare.config


def register_mail(app):
    """Run emails: composed and queued by the mailer, delivered by the outbox sender (a
    thread that runs only while mail is due). A serving process wakes its own sender when it
    queues a mail; other processes (a CLI command about to exit, a Celery pool child) leave
    it to a ticker's next tick."""
    store = app.extensions["store"]
    sender = OutboxSender(
        store,
        mail.SmtpSender(app, timeout_s=app.config["MAIL_TIMEOUT"]),
        retry_s=app.config["MAIL_RETRY_SECONDS"],
        max_attempts=app.config["MAIL_MAX_ATTEMPTS"],
    )
    app.extensions["outbox_sender"] = sender
    app.extensions["mailer"] = mail.Mailer(
        store,
        app,
        app.config.get("BASE_URL", ""),
        on_queued=sender.wake if serving_process() else None,
    )


def register_runs(app):
    """What jobs need, where they execute (threads here, or Celery workers), and the ticker
    that starts scheduled and watched runs and runs the watchdog."""
    store = app.extensions["store"]
    services = RunServices(
        store=store,
        secret=app.config["SECRET_KEY"],
        mailer=app.extensions["mailer"],
        heartbeat_s=float(app.config["RUN_HEARTBEAT_SECONDS"]),
        stale_s=float(app.config["RUN_STALE_SECONDS"]),
    )
    executor = build_executor(
        app.config.get("EXECUTOR"),
        services,
        workers=app.config.get("RUN_WORKERS", 2),
        nice=app.config.get("RUN_NICE", 10),
        threads=app.config.get("RUN_THREADS"),
        redis_url=app.config["REDIS_URL"],
        visibility_timeout=app.config.get("CELERY_VISIBILITY_TIMEOUT", 3600),
    )
    app.extensions["run_services"] = services
    app.extensions["run_executor"] = executor
    app.extensions["deletion_runner"] = DeletionRunner(
        store, heartbeat_s=services.heartbeat_s, stale_s=services.stale_s
    )
    app.extensions["ticker"] = Ticker(
        store,
        executor,
        services.mailer,
        tick_s=app.config["TICK_SECONDS"],
        watch_interval_s=app.config["WATCH_INTERVAL"],
        watch_quiet_s=app.config["WATCH_QUIET"],
        watchdog=Watchdog(store, services.stale_s),
        outbox=app.extensions["outbox_sender"],
        deletions=app.extensions["deletion_runner"],
    )


def register_serving(app):
    """The production models behind the prediction endpoint, loaded once per process."""
    app.extensions["serving"] = Server(
        app.extensions["store"],
        app.config["SECRET_KEY"],
        max_rows=app.config["PREDICT_MAX_ROWS"],
        sample_per_day=app.config["PREDICT_SAMPLE_PER_DAY"],
    )


def serving_process():
    """True in a process that serves, the only kind that runs start-up steps.

    Serving means a gunicorn worker, ``flask run``, or any process that builds the app
    itself; never another command line (``flask db stop``, ``flask users create``, a Celery
    worker's, which starts its own background work when ready: ``thread_layer.celery_app``).
    A command that wants the ticker runs it in the foreground (``flask scheduler run``).
    """
    command = click.get_current_context(silent=True)
    return command is None or command.command is run_command


def recover_interrupted_runs(app):
    """Start-up step: interrupt runs of gone processes, and enqueue the queued ones again."""
    if app.config.get("RUN_RECOVERY", True) and serving_process():
        recover_runs(app.extensions["store"], app.extensions["run_executor"])


def resume_deletions(app):
    """Start-up step: finish the deletions a gone process left half done."""
    if serving_process():
        app.extensions["deletion_runner"].resume_stale()


def start_ticker(app):
    """Start-up step: tick the watchdog, schedules, watchers and the outbox."""
    if app.config["SCHEDULER"] and serving_process():
        app.extensions["ticker"].start()


def register_blueprints(app):
    app.before_request(load_tenant)
    app.after_request(audit_trail.record_denied)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    app.extensions["dashboard_panels"] = DASHBOARD_PANELS


def register_rate_limit_scope(app):
    """flask-limiter resolves the limits of every request; only a few routes have one, so
    the others skip it (about 0.05-0.15 ms of a request)."""
    marked = getattr(limiter, "_marked_for_limiting", None)
    if marked is None:  # a flask-limiter without it: every request is checked, as before
        return
    app.extensions["rate_limited_endpoints"] = frozenset(
        endpoint
        for endpoint, view in app.view_functions.items()
        if get_qualified_name(view) in marked or limiter.limit_manager.has_hints(endpoint)
    )
    if _unlimited_route not in limiter._request_filters:
        limiter.request_filter(_unlimited_route)


def _unlimited_route():
    limited = current_app.extensions.get("rate_limited_endpoints")
    return limited is not None and request.endpoint not in limited


def register_template_helpers(app):
    @app.context_processor
    def inject():
        return {
            "workspace": g.get("workspace"),
            "role": g.get("role"),
            "can": can,
            "my_workspaces": lambda: g.get("my_workspaces", []),
        }

    @app.template_filter("datetime")
    def format_datetime(value):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"

    @app.template_filter("bytes")
    def format_bytes(value):
        value = float(value or 0)
        for unit in ("B", "KB", "MB", "GB", "TB"):
            if value < 1024 or unit == "TB":
                return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            value /= 1024

    app.jinja_env.globals["now_ts"] = time.time
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions


def register_commands(app):
    for group in CLI_GROUPS:
        app.cli.add_command(group)
