"""The blueprints the app registers, one module per area."""

import importlib

BLUEPRINT_MODULES = [
    "controllers.auth",
    "controllers.account",
    "controllers.dashboard",
    "controllers.workspaces",
    "controllers.admin",
    "controllers.api",
    # Areas add their modules below (each module exposes ``bp``).
    "controllers.projects",
    "controllers.validations",
    "controllers.projects_api",
    "controllers.runs",
    "controllers.runs_api",
    "controllers.models",
    "controllers.outbox",
    "controllers.files",
    "controllers.connections",
    "controllers.storage_api",
]


def blueprints():
    return [importlib.import_module(name).bp for name in BLUEPRINT_MODULES]


# Modules that expose ``commands``: a list of click commands or groups for the `flask` CLI.
COMMAND_MODULES = [
    "controllers.cli",
    # Areas add their modules below.
    "controllers.projects_cli",
    "controllers.storage_cli",
]


def commands():
    found = []
    for name in COMMAND_MODULES:
        found.extend(importlib.import_module(name).commands)
    return found
