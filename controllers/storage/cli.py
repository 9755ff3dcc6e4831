"""`flask keys rotate`: re-encrypt every stored secret under a new encryption key."""

import os
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import current_app
from flask.cli import AppGroup

from controllers.context import get_store
from entity.encryption import Encryptor
from exception_layer.errors import AppError
from project_library.deletion import orphans as orphan_files
from project_library.storage import connections

keys = AppGroup("keys", help="The encryption key that protects stored credentials.")
storage_cli = AppGroup("storage", help="What the platform keeps in the projects' storage.")


def _valid_key(value):
    try:
        Fernet(value.encode())
    except (ValueError, TypeError) as exc:
        raise click.BadParameter("not a Fernet key (32 url-safe base64-encoded bytes)") from exc
    return value


@keys.command("rotate")
@click.option("--new-key", help="The new Fernet key (default: generate one).")
@click.option(
    "--old-key",
    "old_keys",
    multiple=True,
    help="Extra old keys that may still decrypt some secrets (after an interrupted rotation).",
)
def rotate(new_key, old_keys):
    """Re-encrypt every stored secret under a new key, then switch the app to it."""
    new_key = _valid_key(new_key) if new_key else Fernet.generate_key().decode()
    current_key = current_app.config["ENCRYPTION_KEY"]
    for key in old_keys:
        _valid_key(key)
    rotating = Encryptor(new_key, current_key, *old_keys)
    try:
        count = connections.rotate_secrets(get_store(), rotating)
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Re-encrypted the secrets of {count} storage connection(s).")
    key_file = Path(current_app.config["DATA_DIR"]) / "encryption_key.txt"
    from_file = not os.environ.get("MLP_ENCRYPTION_KEY") and key_file.exists()
    if from_file and key_file.read_text().strip() == current_key:
        key_file.write_text(new_key)
        key_file.chmod(0o600)
        click.echo("The new key is saved in the data folder; restart the app to use it.")
    else:
        click.echo("Set the new key and restart the app (keep the old one until it runs):")
        click.echo(f"MLP_ENCRYPTION_KEY={new_key}")


@storage_cli.command("orphans")
@click.option("--workspace", "workspace", help="A workspace name or id (default: every one).")
@click.option("--delete", is_flag=True, help="Remove orphaned files older than a day.")
def orphans(workspace, delete):
    """Files under project roots that no record knows, and records whose files are gone."""
    store = get_store()
    chosen = store.workspaces.every()
    if workspace:
        chosen = [(i, n) for i, n in chosen if workspace in (i, n)]
        if not chosen:
            raise click.ClickException(f"No workspace is named or has the id '{workspace}'.")
    total = removed = 0
    for workspace_id, name in chosen:
        findings = orphan_files.workspace_orphans(store, workspace_id)
        for found in findings:
            _print_project(name, found)
            total += len(found.files)
        if delete:
            removed += orphan_files.delete_orphans(store, workspace_id, findings)
    click.echo(
        f"{total} orphaned file(s)." + (f" Removed {removed} older than a day." if delete else "")
    )


def _print_project(workspace_name, found):
    if found.error:
        click.echo(f"{workspace_name} / {found.project_name}: storage unreadable: {found.error}")
        return
    for entry in found.files:
        click.echo(
            f"{workspace_name} / {found.project_name}: orphan {entry.path} ({entry.size} bytes)"
        )
    for item in found.missing:
        click.echo(
            f"{workspace_name} / {found.project_name}: {item['record']} {item['id']} "
            f"has no {item['path']}"
        )
