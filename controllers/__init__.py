"""The blueprints the app registers, one module per area."""

import importlib

BLUEPRINT_MODULES = [
    "controllers.accounts.auth",
    "controllers.accounts.profile",
    "controllers.dashboard",
    "controllers.accounts.workspaces",
    "controllers.admin.users",
    "controllers.accounts.api",
    # Areas add their modules below (each module exposes ``bp``).
    "controllers.projects.pages",
    "controllers.projects.validations",
    "controllers.projects.api",
    "controllers.runs.pages",
    "controllers.runs.api",
    "controllers.runs.models",
    "controllers.admin.outbox",
    "controllers.storage.files",
    "controllers.storage.connections",
    "controllers.storage.api",
]


def blueprints():
    return [importlib.import_module(name).bp for name in BLUEPRINT_MODULES]


# Modules that expose ``commands``: a list of click commands or groups for the `flask` CLI.
COMMAND_MODULES = [
    "controllers.admin.cli",
    # Areas add their modules below.
    "controllers.projects.cli",
    "controllers.storage.cli",
]


def commands():
    found = []
    for name in COMMAND_MODULES:
        found.extend(importlib.import_module(name).commands)
    return found
