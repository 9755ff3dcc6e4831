"""`flask users …` and `flask db …` commands."""

import click
from flask import current_app
from flask.cli import AppGroup

from controllers.context import get_store
from entity.embedded_server import stop_server
from exception_layer.errors import AppError
from project_library.accounts import service as accounts

users = AppGroup("users", help="Manage accounts.")
db_group = AppGroup("db", help="The embedded database.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="", help="Display name.")
@click.option("--admin", is_flag=True, help="Make the account a site administrator.")
def create_user(email, password, name, admin):
    """Create an account (with its personal workspace)."""
    try:
        user = accounts.register(get_store(), email, password, name, admin=admin or None)
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.email} (id {user.id}{', site admin' if user.is_site_admin else ''})")


@db_group.command("stop")
def stop():
    """Stop the embedded database server of the data folder."""
    stopped = stop_server(current_app.config["DATA_DIR"])
    click.echo("Embedded database stopped." if stopped else "No embedded database was running.")


@db_group.command("uri")
def uri():
    """Print the MongoDB URI the app uses."""
    click.echo(current_app.config["MONGODB_URI"])
