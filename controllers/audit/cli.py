"""``flask audit verify [--workspace ID]``: walk the hash chains, report the first break."""

import click
from flask.cli import with_appcontext

from controllers.context import get_store
from project_library import audit as audit_log

audit_cli = click.Group("audit", help="The audit log.")


@audit_cli.command("verify")
@click.option("--workspace", "workspace_id", default=None, help="Only this workspace's chain.")
@with_appcontext
def verify(workspace_id):
    """Check every chain; exit 1 at the first edited, removed or reordered event."""
    reports = audit_log.verify(get_store(), workspace_id)
    broken = [report for report in reports if not report.ok]
    for report in reports:
        click.echo(_line(report))
    if broken:
        raise SystemExit(1)
    click.echo(f"ok: {len(reports)} chain(s), {sum(r.events for r in reports)} event(s)")


def _line(report):
    name = report.workspace_id or "site"
    if not report.ok:
        return (
            f"BROKEN workspace={name} problem={report.problem} seq={report.seq}: {report.message}"
        )
    cut = (
        f" cut_at_seq={report.cut['seq']} cut_hash={report.cut['prev_hash']}" if report.cut else ""
    )
    return f"ok workspace={name} events={report.events}{cut}"
