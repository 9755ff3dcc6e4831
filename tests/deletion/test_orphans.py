"""`flask storage orphans`: files under a project's root that no record knows, records whose
files are gone, and `--delete` for orphans older than a day (younger ones are left alone)."""

import os
import time

from tests.runs.support import project_storage, start, train_project, wait_for, write_batches

STRAY_RUN = "0123456789abcdef01234567"


def test_orphans_are_found_and_only_old_ones_deleted(client, team, app):
    admin = team.headers("admin")
    project, frame, prefix = train_project(client, team, app, "binary", name="orphans")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction", rows=50)
    predicted = wait_for(client, admin, start(client, admin, project["id"], "predict")["id"])
    assert predicted["status"] == "succeeded", predicted
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    root = stored.root
    old = f"{root}/predictions/predictions_20200101_000000_{STRAY_RUN}.csv"
    young = f"{root}/models/v9/model.pkl"
    storage.write_bytes(old, b"a,b\n")
    storage.write_bytes(young, b"not a model")
    two_days_ago = time.time() - 2 * 86400
    os.utime(storage.root / old, (two_days_ago, two_days_ago))  # local storage: a real file
    storage.delete_file(predicted["output_path"])  # a record whose file is gone

    runner = app.test_cli_runner()
    found = runner.invoke(args=["storage", "orphans", "--workspace", team.workspace_id])
    assert found.exit_code == 0, found.output
    assert f"orphan {old}" in found.output and f"orphan {young}" in found.output
    assert f"has no {predicted['output_path']}" in found.output
    assert "2 orphaned file(s)." in found.output
    assert "batches" not in found.output  # the team's files are never orphans

    removed = runner.invoke(
        args=["storage", "orphans", "--workspace", team.workspace_id, "--delete"]
    )
    assert removed.exit_code == 0, removed.output
    assert "Removed 1 older than a day." in removed.output
    assert not storage.exists(old) and storage.exists(young)
    assert storage.exists(f"{root}/models/v1/manifest.json")


def test_an_unknown_workspace_is_refused_in_words(app):
    result = app.test_cli_runner().invoke(args=["storage", "orphans", "--workspace", "nope"])
    assert result.exit_code != 0 and "No workspace is named" in result.output
