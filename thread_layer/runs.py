"""What run pages, the API and the CLI share: start, cancel, recover."""

import logging

from entity.db import get_db
from entity.project import ProjectRepository
from entity.run import KINDS, Run, RunRepository
from exception_layer.errors import ValidationError
from thread_layer.executors import get_executor

logger = logging.getLogger(__name__)


def start_run(app, workspace_id, project_id, kind, user):
    """Create a queued run and hand it to the executor; return the run."""
    if kind not in KINDS:
        raise ValidationError("A run's kind is 'train' or 'predict'.", details={"field": "kind"})
    db = get_db(app)
    project = ProjectRepository(db).get(workspace_id, project_id)
    run = RunRepository(db).create(
        Run(
            workspace_id=workspace_id,
            project_id=project.id,
            kind=kind,
            project_name=project.name,
            created_by=getattr(user, "id", None),
            created_by_email=getattr(user, "email", None),
            created_by_name=getattr(user, "name", None),
        )
    )
    get_executor(app).submit(run.id)
    return run


def cancel_run(app, workspace_id, run_id):
    return RunRepository(get_db(app)).request_cancel(workspace_id, run_id)


def recover_runs(app):
    """Start-up hook: interrupt runs of gone processes, and enqueue the queued ones again."""
    if not app.config.get("RUN_RECOVERY", True):
        return
    queued = RunRepository(get_db(app)).recover()
    executor = get_executor(app)
    for run_id in queued:
        executor.submit(run_id)
