import io
import json
import zipfile

import pytest

from cloud_storage.local import LocalStorage
from exception_layer.errors import ValidationError
from integration.layout import PROJECT_FOLDERS
from project_library.projects.sample import create_sample_project
from project_library.projects.setup import folder_source, import_project, zip_source
from project_library.validation.batches import validate_batches
from project_library.validation.schema import parse_schema
from tests.projects.factories import cancer_frame, csv_text, prediction_classic, training_classic


class InMemoryProjects:
    """A stand-in for ProjectRepository: keeps created projects in a list."""

    def __init__(self):
        self.created = []

    def create(self, project):
        project.id = f"{len(self.created) + 1:024d}"
        self.created.append(project)
        return project


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(str(tmp_path / "store"))


def classic_folder(
    base, training_dir="Training_Batch_Files", prediction_dir="Prediction_Batch_files"
):
    frame = cancer_frame()
    base.mkdir(parents=True, exist_ok=True)
    training_text = json.dumps(training_classic(frame), indent="\t")
    (base / "schema_training.json").write_text(training_text)
    (base / "schema_prediction.json").write_text(json.dumps(prediction_classic(frame)))
    (base / training_dir).mkdir(parents=True)
    (base / prediction_dir).mkdir(parents=True)
    (base / training_dir / "cancer_01012024_120000.csv").write_text(csv_text(frame[:300]))
    (base / training_dir / "cancer_02012024_120000.csv").write_text(csv_text(frame[300:]))
    (base / prediction_dir / "cancer_03012024_120000.csv").write_text(
        csv_text(frame.drop(columns=["target"])[:50])
    )
    (base / "README.md").write_text("not a batch")
    return training_text


def test_import_classic_folder(tmp_path, storage):
    source = tmp_path / "classic"
    training_text = classic_folder(source)
    projects = InMemoryProjects()

    project, summary = import_project(
        projects, storage, folder_source(source), workspace_id="w", name="Cancer screening"
    )

    assert project.target == "target"
    assert project.task == "binary"
    assert "2 distinct values" in summary["task_reason"]
    assert summary["files"] == 3
    assert project.root == "cancer-screening"
    folders = {e.name for e in storage.list(project.root).folders}
    assert folders == set(PROJECT_FOLDERS)
    training = [e.name for e in storage.list(f"{project.root}/training_batches").files]
    assert training == ["cancer_01012024_120000.csv", "cancer_02012024_120000.csv"]
    assert project.schema_texts["training"] == training_text
    assert parse_schema(project.schema_texts["training"]).to_classic() == project.training_schema
    result = validate_batches(storage, project, "training")
    assert len(result.accepted) == 2


def test_import_zip_with_short_folder_names_and_explicit_target(tmp_path, storage):
    source = tmp_path / "classic"
    classic_folder(source, "project/training_batch", "project/prediction_batch")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in source.rglob("*"):
            if path.is_file():
                archive.write(path, "export/" + path.relative_to(source).as_posix())
    buffer.seek(0)
    project, summary = import_project(
        InMemoryProjects(),
        storage,
        zip_source(buffer),
        workspace_id="w",
        name="Zipped",
        target="mean_area",
        task="regression",
    )
    assert (project.target, project.task) == ("mean_area", "regression")
    assert summary["training_files"] == 2 and summary["prediction_files"] == 1


def test_import_without_schema_or_with_unknown_target(tmp_path, storage):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "data.csv").write_text("a\n1\n")
    with pytest.raises(ValidationError, match="No schema_training.json"):
        import_project(
            InMemoryProjects(),
            storage,
            folder_source(tmp_path / "empty"),
            workspace_id="w",
            name="x",
        )
    classic_folder(tmp_path / "c")
    with pytest.raises(ValidationError, match="no column 'nope'"):
        import_project(
            InMemoryProjects(),
            storage,
            folder_source(tmp_path / "c"),
            workspace_id="w",
            name="x",
            target="nope",
        )


def test_bad_zip_is_refused():
    with pytest.raises(ValidationError, match="not a zip"):
        zip_source(io.BytesIO(b"plain text"))


def test_sample_project_validates_with_one_quarantined_file(storage):
    project = create_sample_project(InMemoryProjects(), storage, workspace_id="w")
    result = validate_batches(storage, project, "training")
    rejected = [f for f in result.files if not f.accepted]
    assert len(result.accepted) == 4
    assert [f.name for f in rejected] == ["breast_cancer_31012024_090000.csv"]
    assert {r.code for r in rejected[0].reasons} == {"ragged_rows", "type_mismatch"}
    mismatch = next(r for r in rejected[0].reasons if r.code == "type_mismatch")
    assert mismatch.evidence["values"] == ["see notes"]
    prediction = validate_batches(storage, project, "prediction")
    assert len(prediction.accepted) == 1
    assert sum(f.rows for f in result.files if f.accepted) + prediction.files[0].rows == 569
