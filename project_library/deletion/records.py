"""Dropping the records of a project, a model version or a run, each through its repository;
every function returns how many documents went, for the deletion's counts."""


def drop_project_records(store, workspace_id, project_id):
    """Every document keyed by the project: its runs (and their log lines, mails and the
    training lock), validations, model versions (counter and promotions too), schedules,
    watcher, prediction tokens, serving counts and samples, and last the project itself."""
    run_ids = store.runs.ids_for_project(workspace_id, project_id)
    return sum(
        (
            store.run_logs.delete_for_runs(run_ids),
            store.outbox.delete_for_runs(run_ids),
            store.runs.delete_for_project(workspace_id, project_id),
            store.validations.delete_for_project(workspace_id, project_id),
            store.models.delete_for_project(workspace_id, project_id),
            store.schedules.delete_for_project(workspace_id, project_id),
            store.watchers.delete_for_project(workspace_id, project_id),
            store.tokens.delete_for_project(workspace_id, project_id),
            store.serving.delete_for_project(workspace_id, project_id),
            store.projects.delete(workspace_id, project_id),
        )
    )


def drop_run_records(store, workspace_id, run_id):
    """The run's log lines and mails, then the run."""
    return (
        store.run_logs.delete_for_runs([run_id])
        + store.outbox.delete_for_runs([run_id])
        + store.runs.delete(workspace_id, run_id)
    )
