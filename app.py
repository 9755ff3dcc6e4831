"""The ML Platform application factory: ``flask --app app run``."""

import time

from flask import Flask, g

from controllers import blueprints, commands
from controllers.access import can, load_tenant
from controllers.extensions import csrf, limiter, login_manager
from entity.db import get_db, init_db
from entity.indexes import ensure_indexes
from exception_layer.handlers import register_error_handlers
from logging_layer.setup import configure_logging
from settings import load_settings

STARTUP_HOOKS = []  # functions(app) run once the app is built (areas register theirs)


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    load_settings(app, config)
    configure_logging(app)
    register_extensions(app)
    register_database(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    for hook in STARTUP_HOOKS:
        hook(app)
    return app


def register_extensions(app):
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def register_database(app):
    init_db(app)
    ensure_indexes(get_db(app))


def register_blueprints(app):
    app.before_request(load_tenant)
    for bp in blueprints():
        app.register_blueprint(bp)


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
    for command in commands():
        app.cli.add_command(command)
