"""The real classic projects: the accepted/rejected split against facts read from the files.

The expectations are computed here, from the files, with the csv module and the schema JSON,
not by calling the code under test.
"""

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from cloud_storage.local import LocalStorage
from entity.project import DEFAULT_MISSING_MARKERS, Project
from project_library.validation.batches import load_table, validate_batches

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
TARGETS = {
    "cement": "Concrete_compressive_strength",
    "forest_cover": "class",
    "mushroom": "class",
    "wafer": "Output",
}
pytestmark = [
    pytest.mark.datasets,
    pytest.mark.skipif(not DATASETS.is_dir(), reason="shared datasets are not on this machine"),
]


def expected_verdict(path, classic, target):
    """A file is usable when its name fits, it has the declared columns, and the target holds
    values (the target check applies to training files only)."""
    prefix = re.match(r"^(.*)_\d+_\d+\.csv$", classic["SampleFileName"]).group(1)
    name_ok = re.fullmatch(
        rf"{re.escape(prefix)}_\d{{{classic['LengthOfDateStampInFile']}}}"
        rf"_\d{{{classic['LengthOfTimeStampInFile']}}}\.csv",
        path.name,
        flags=re.IGNORECASE,
    )
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    names = list(classic["ColName"])
    if not name_ok or len(rows[0]) != len(names):
        return False
    body = [row for row in rows[1:] if row]
    if any(len(row) != len(names) for row in body):
        return False
    markers = set(DEFAULT_MISSING_MARKERS)
    for position, spelled in enumerate(classic["ColName"].values()):
        if "char" in spelled.lower():
            continue
        for row in body:
            value = row[position].strip().strip("'")
            if value in markers:
                continue
            try:
                float(value)
            except ValueError:
                return False
    if target in names:
        at = names.index(target)
        if all(row[at].strip().strip("'") in markers for row in body):
            return False
    return True


@pytest.mark.parametrize("project_name", sorted(TARGETS))
@pytest.mark.parametrize("kind", ["training", "prediction"])
def test_accepted_split_matches_the_files(tmp_path, project_name, kind):
    source = DATASETS / project_name
    schema_file = source / f"schema_{kind}.json"
    batches = source / f"{kind}_batch"
    if not schema_file.exists() or not batches.is_dir() or not any(batches.iterdir()):
        pytest.skip(f"{project_name} has no {kind} schema or batches")
    classic = json.loads(schema_file.read_text())
    shutil.copytree(batches, tmp_path / "p" / f"{kind}_batches")
    for copied in (tmp_path / "p").rglob("*"):
        copied.chmod(0o755 if copied.is_dir() else 0o644)
    target = TARGETS[project_name]
    expected = {
        path.name: expected_verdict(path, classic, target if kind == "training" else None)
        for path in sorted(batches.iterdir())
    }
    project = Project(
        workspace_id="w",
        name=project_name,
        root="p",
        target=target,
        training_schema=classic if kind == "training" else None,
        prediction_schema=classic if kind == "prediction" else None,
    )
    storage = LocalStorage(str(tmp_path))

    result = validate_batches(storage, project, kind)

    assert {f.name: f.accepted for f in result.files} == expected
    assert any(expected.values()) and not all(expected.values())
    rejected = [f for f in result.files if not f.accepted]
    assert all(f.reasons and all(r.evidence for r in f.reasons) for f in rejected)
    for f in rejected:
        assert (tmp_path / "p" / "quarantine" / result.id / f.name).is_file()
    table = load_table(storage, project, result, kind)
    unique = {f.sha256: f for f in result.files if f.accepted}
    assert len(table) == sum(f.rows for f in unique.values())
    assert list(table.columns[: len(classic["ColName"])]) == list(classic["ColName"])


@pytest.mark.parametrize("project_name", ["wafer", "mushroom", "forest_cover", "cement"])
def test_import_real_folder_infers_target_and_task(tmp_path, project_name):
    from project_library.projects.setup import folder_source, import_project
    from tests.projects.test_setup import InMemoryProjects

    source = DATASETS / project_name
    classic = json.loads((source / "schema_training.json").read_text())
    has_prediction = (source / "schema_prediction.json").exists()
    storage = LocalStorage(str(tmp_path))
    target = None if has_prediction else TARGETS[project_name]
    project, summary = import_project(
        InMemoryProjects(),
        storage,
        folder_source(source),
        workspace_id="w",
        name=project_name,
        target=target,
    )
    assert project.target == TARGETS[project_name]
    assert summary["training_files"] == len(list((source / "training_batch").iterdir()))
    # The task, from the target's values in the first training file as read here.
    position = list(classic["ColName"]).index(project.target)
    for path in sorted((source / "training_batch").iterdir()):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        if len(rows[0]) == len(classic["ColName"]):
            rows = rows[1:]
            break
    values = {row[position].strip().strip("'") for row in rows if len(row) > position}
    values -= set(DEFAULT_MISSING_MARKERS)
    expected = (
        "binary"
        if len(values) == 2
        else (
            "multiclass" if "char" in classic["ColName"][project.target].lower() else "regression"
        )
    )
    assert project.task == expected
