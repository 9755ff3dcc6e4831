"""`flask schedules …`, `flask watch PROJECT …` and `flask scheduler run`."""

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from controllers.context import get_store
from exception_layer.errors import AppError
from project_library.automation import schedules, watchers

schedules_cli = AppGroup("schedules", help="Run schedules of projects.")
scheduler_cli = AppGroup("scheduler", help="The ticker that fires schedules and watchers.")


def _now():
    return current_app.extensions["ticker"].clock()


def _project(name_or_id, workspace):
    store = get_store()
    workspace_id = store.workspaces.named(workspace)[0].id if workspace else None
    found = store.projects.named(name_or_id, workspace_id)
    if not found:
        raise click.ClickException(f"No project '{name_or_id}'.")
    if len(found) > 1:
        raise click.ClickException(f"Several projects are named '{name_or_id}'; give its id.")
    return found[0]


def _fail(error):
    raise click.ClickException(error.message) from error


@schedules_cli.command("list")
def list_schedules():
    """Every schedule: id, project, kind, what it means, next run."""
    store = get_store()
    for s in store.schedules.all():
        state = "paused" if s.paused else (s.next_run_at.isoformat() if s.next_run_at else "done")
        click.echo(f"{s.id}  project={s.project_id}  {s.kind:<7}  {s.description}  next={state}")


@schedules_cli.command("add")
@click.argument("project")
@click.option("--workspace", default=None, help="Workspace name or id (when names clash).")
@click.option("--kind", type=click.Choice(["train", "predict"]), required=True)
@click.option("--at", "at", default=None, help="Once, at a local time: 2027-01-05T06:00.")
@click.option("--every", type=click.Choice(["day", "weekday", "week", "hours"]), default=None)
@click.option("--time", "time_", default=None, help="HH:MM for day, weekday and week.")
@click.option("--days", default=None, help="For week: mon,thu")
@click.option("--hours", type=int, default=None, help="For hours: every N hours.")
@click.option("--cron", default=None, help='A 5-field cron expression: "30 2 * * 1-5".')
@click.option("--timezone", default=None, help="IANA zone (default: the workspace's).")
@click.option("--overlap", type=click.Choice(["skip", "queue"]), default=None)
@click.option("--grace", type=int, default=None, help="Misfire grace in seconds (3600).")
def add(project, workspace, kind, at, every, time_, days, hours, cron, timezone, overlap, grace):
    """Add a schedule to PROJECT (id or name); print its id and next runs."""
    found = _project(project, workspace)
    body = {"kind": kind, "at": at, "every": every, "time": time_, "hours": hours, "cron": cron}
    body.update(timezone=timezone, overlap=overlap, misfire_grace_s=grace)
    if days:
        body["days"] = [d.strip() for d in days.split(",") if d.strip()]
    body = {k: v for k, v in body.items() if v is not None}
    store = get_store()
    try:
        workspace_entity = store.workspaces.get(found.workspace_id)
        created = schedules.create_schedule(store, workspace_entity, found.id, body, None, _now())
    except AppError as error:
        _fail(error)
    click.echo(f"{created.id}  {created.description}", err=True)
    for moment in schedules.next_runs(created):
        click.echo(f"  next: {moment}", err=True)
    click.echo(created.id)


def _set_paused(schedule_id, paused):
    store = get_store()
    try:
        found = store.schedules.get_any(schedule_id)
        schedules.set_paused(store, found.workspace_id, found.id, paused, _now())
    except AppError as error:
        _fail(error)
    click.echo(f"{'Paused' if paused else 'Resumed'} {found.description}.")


@schedules_cli.command("pause")
@click.argument("schedule_id")
def pause(schedule_id):
    """Pause a schedule."""
    _set_paused(schedule_id, True)


@schedules_cli.command("resume")
@click.argument("schedule_id")
def resume(schedule_id):
    """Resume a schedule from now on (slots passed while paused are not caught up)."""
    _set_paused(schedule_id, False)


@schedules_cli.command("delete")
@click.argument("schedule_id")
def delete(schedule_id):
    """Delete a schedule."""
    store = get_store()
    try:
        found = store.schedules.get_any(schedule_id)
        schedules.delete_schedule(store, found.workspace_id, found.id)
    except AppError as error:
        _fail(error)
    click.echo(f"Deleted {found.description}.")


@click.command("watch")
@with_appcontext
@click.argument("project")
@click.option("--workspace", default=None, help="Workspace name or id (when names clash).")
@click.option("--prediction", type=click.Choice(["on", "off"]), default=None)
@click.option("--training", type=click.Choice(["off", "validate", "train"]), default=None)
def watch(project, workspace, prediction, training):
    """Switch the storage watchers of PROJECT (id or name) and print their state."""
    found = _project(project, workspace)
    body = {}
    if prediction is not None:
        body["prediction"] = prediction == "on"
    if training is not None:
        body["training"] = training
    store = get_store()
    try:
        state = watchers.configure_watch(store, found.workspace_id, found.id, body, _now())
    except AppError as error:
        _fail(error)
    click.echo(
        f"{found.name}: training folder {state.training}, "
        f"prediction folder {'on' if state.prediction else 'off'}."
    )


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Tick once and exit.")
def run(once):
    """Tick schedules and watchers in this process (set MLP_SCHEDULER=false elsewhere)."""
    ticker = current_app.extensions["ticker"]
    if once:
        ticker.tick()
        return
    click.echo(f"Ticking every {ticker.tick_s:g} s; press Ctrl-C to stop.", err=True)
    try:
        ticker.run()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
