"""`flask projects import PATH …` and `flask projects sample …`."""

import click
from flask.cli import AppGroup

from controllers.context import get_store
from entity.project import TASKS
from exception_layer.errors import AppError
from project_library.projects import service
from project_library.projects.setup import folder_source

projects_cli = AppGroup("projects", help="Create projects from classic folders or the sample.")


def _workspace_id(store, name):
    """A workspace by name (or id); ambiguous names are refused."""
    found = store.workspaces.named(name)
    if not found:
        raise click.ClickException(f"No workspace named '{name}'.")
    if len(found) > 1:
        raise click.ClickException(f"Several workspaces are named '{name}'; give its id.")
    return found[0].id


def _connection_id(store, workspace_id, name):
    if not name:
        return None
    for connection in store.connections.list(workspace_id):
        if name in (connection.id, connection.name):
            return connection.id
    raise click.ClickException(f"No storage connection named '{name}' in that workspace.")


@projects_cli.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--workspace", required=True, help="Workspace name (or id).")
@click.option("--connection", default=None, help="Storage connection name (default: local).")
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--target", default=None, help="Target column (default: inferred).")
@click.option("--task", type=click.Choice(TASKS), default=None, help="Default: inferred.")
def import_command(path, workspace, connection, name, target, task):
    """Import a classic project folder (schema files plus batch folders); print its id."""
    from pathlib import Path

    store = get_store()
    workspace_id = _workspace_id(store, workspace)
    try:
        project, summary = service.import_files(
            store,
            workspace_id,
            folder_source(path),
            name=name or Path(path).resolve().name,
            connection_id=_connection_id(store, workspace_id, connection),
            target=target,
            task=task,
        )
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Imported '{project.name}': {summary['training_files']} training and "
        f"{summary['prediction_files']} prediction file(s); task {project.task or 'not set'}, "
        f"target {project.target or 'not set'}.",
        err=True,
    )
    click.echo(project.id)


@projects_cli.command("sample")
@click.option("--workspace", required=True, help="Workspace name (or id).")
@click.option("--connection", default=None, help="Storage connection name (default: local).")
def sample_command(workspace, connection):
    """Create the breast-cancer sample project; print its id."""
    store = get_store()
    workspace_id = _workspace_id(store, workspace)
    try:
        project = service.create_sample(
            store, workspace_id, connection_id=_connection_id(store, workspace_id, connection)
        )
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created the sample project '{project.name}'.", err=True)
    click.echo(project.id)
