"""The train and predict pipelines end to end over in-memory stand-ins: no database, no
network. Storage is a dict behind the CloudStorage interface; the repositories keep lists."""

import io
import logging
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from cloud_storage.base import CloudStorage, Entry, Listing
from cloud_storage.paths import clean_path
from entity.project import Project
from entity.run import Run
from exception_layer.errors import NotFound, ValidationError
from integration.layout import PREDICTION_BATCHES, TRAINING_BATCHES, models_folder, project_path
from project_library.cancellation import RunCancelled
from project_library.models import artifacts as model_store
from project_library.pipelines.prediction import run_prediction
from project_library.pipelines.runs import PIPELINES, RunContext
from project_library.pipelines.training import run_training

SECRET = "k"
ROOT = "projects/tiny"
PREFIX = "tiny"
TRAINING_FILES = ("tiny_01012024_120000.csv", "tiny_08012024_120000.csv")
PREDICTION_FILE = "tiny_15012024_120000.csv"


class MemoryStorage(CloudStorage):
    """Files as bytes in a dict; folders are implied by the files below them (or made)."""

    provider = "memory"

    def __init__(self):
        self.files = {}
        self.folders = set()

    def _is_folder(self, path):
        return (
            path == "" or path in self.folders or any(f.startswith(path + "/") for f in self.files)
        )

    def _entry(self, path):
        name = path.rsplit("/", 1)[-1]
        if path in self.files:
            return Entry(name, path, False, len(self.files[path]), datetime.now(UTC))
        return Entry(name, path, True)

    def list(self, folder="", page=None, page_size=1000):
        folder = clean_path(folder)
        if not self._is_folder(folder):
            raise NotFound(f"There is no folder '{folder}'.")
        prefix = folder + "/" if folder else ""
        children = {
            prefix + p[len(prefix) :].split("/", 1)[0]
            for p in [*self.files, *self.folders]
            if p.startswith(prefix) and p != folder
        }
        listing = Listing()
        for path in sorted(children):
            entry = self._entry(path)
            (listing.folders if entry.is_folder else listing.files).append(entry)
        return listing

    def _walk_files(self, folder):
        prefix = folder + "/" if folder else ""
        return [self._entry(p) for p in self.files if p.startswith(prefix)]

    def stat(self, path):
        path = clean_path(path)
        if path not in self.files and not self._is_folder(path):
            raise NotFound(f"There is no file or folder '{path}'.")
        return self._entry(path)

    def open_read(self, path):
        path = clean_path(path)
        if path not in self.files:
            raise NotFound(f"There is no file '{path}'.")
        return io.BytesIO(self.files[path])

    def write(self, path, stream, length=None):
        data = stream.read()
        self.files[clean_path(path)] = bytes(data)
        return len(data)

    def delete_file(self, path):
        path = clean_path(path)
        if self.files.pop(path, None) is None:
            raise NotFound(f"There is no file '{path}'.")

    def delete_folder(self, path):
        path = clean_path(path)
        if not self._is_folder(path):
            raise NotFound(f"There is no folder '{path}'.")
        for name in [p for p in self.files if p.startswith(path + "/")]:
            del self.files[name]
        self.folders = {f for f in self.folders if f != path and not f.startswith(path + "/")}

    def make_folder(self, path):
        self.folders.add(clean_path(path))

    def test_connection(self):
        return None


class MemoryModels:
    """The ModelVersionRepository methods the pipelines call."""

    def __init__(self):
        self.records = {}

    def next_version(self, project_id):
        return 1 + max((v for p, v in self.records if p == project_id), default=0)

    def create(self, model):
        self.records[(model.project_id, model.version)] = model
        return model

    def get(self, workspace_id, project_id, version):
        record = self.records.get((project_id, int(version)))
        if record is None or record.workspace_id != workspace_id:
            raise NotFound("That model version does not exist.")
        return record


class MemoryValidations:
    """The ValidationRepository methods the pipelines call."""

    def __init__(self):
        self.started = []
        self.saved = {}

    def start(self, workspace_id, project_id, kind, created_by=None):
        validation_id = f"validation{len(self.started) + 1}"
        self.started.append((workspace_id, project_id, kind, created_by, validation_id))
        return validation_id

    def save(self, workspace_id, result_dict):
        self.saved[result_dict["id"]] = {**result_dict, "workspace_id": workspace_id}


def tiny_table(rows=200):
    X, y = make_classification(
        n_samples=rows, n_features=3, n_informative=3, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X.round(6), columns=["x1", "x2", "x3"])
    frame.insert(0, "sample_id", [f"S{i:04d}" for i in range(rows)])
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


def classic_schema(frame):
    columns = {c: "varchar" if c in ("sample_id", "label") else "float" for c in frame.columns}
    return {
        "SampleFileName": TRAINING_FILES[0],
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": len(columns),
        "ColName": columns,
    }


def csv_bytes(frame):
    return frame.to_csv(index=False).encode()


@pytest.fixture
def world():
    """Storage holding two training batches and one prediction batch, and the project."""
    frame = tiny_table()
    storage = MemoryStorage()
    training, scoring = frame.iloc[:160], frame.iloc[160:].drop(columns=["label"])
    for index, name in enumerate(TRAINING_FILES):
        part = training.iloc[index * 80 : (index + 1) * 80]
        storage.write_bytes(project_path(ROOT, TRAINING_BATCHES, name), csv_bytes(part))
    storage.write_bytes(project_path(ROOT, PREDICTION_BATCHES, PREDICTION_FILE), csv_bytes(scoring))
    project = Project(
        workspace_id="w1",
        name="Tiny",
        root=ROOT,
        task="binary",
        target="label",
        id_columns=["sample_id"],
        training_schema=classic_schema(frame),
        prediction_schema=classic_schema(scoring),
        time_budget_s=0.01,  # the first (cheap) candidate always runs; the rest are skipped
        id="p1",
    )
    return storage, project, scoring


def context(storage, project, kind, *, models=None, cancel=None):
    promoted, progress = [], []
    ctx = RunContext(
        run=Run(
            workspace_id=project.workspace_id,
            project_id=project.id,
            kind=kind,
            created_by="u1",
            created_by_email="owner@example.com",
            created_at=datetime.now(UTC),
            id=f"run-{kind}",
        ),
        project=project,
        storage=storage,
        log=logging.getLogger("test"),
        secret=SECRET,
        models=models if models is not None else MemoryModels(),
        validations=MemoryValidations(),
        set_production=promoted.append,
        progress=lambda step, percent, message, **extra: progress.append((step, percent)),
        cancel=cancel,
    )
    return ctx, promoted, progress


def test_pipelines_table_names_both():
    assert PIPELINES == {"train": run_training, "predict": run_prediction}


def test_training_then_prediction_end_to_end(world, caplog):
    storage, project, scoring = world
    caplog.set_level(logging.INFO, logger="test")
    ctx, promoted, progress = context(storage, project, "train")

    outcome = run_training(ctx)

    assert outcome["model_version"] == 1
    assert outcome["metric"] == "balanced_accuracy"
    assert set(outcome["metrics"]) == {"balanced_accuracy", "f1_macro", "roc_auc", "accuracy"}
    assert outcome["metrics"]["balanced_accuracy"] > 0.6
    assert promoted == [1]
    folder = model_store.version_folder(models_folder(project), 1)
    assert storage.exists(project_path(folder, model_store.ARTIFACT))
    assert storage.exists(project_path(folder, model_store.MANIFEST))
    record = ctx.models.get("w1", "p1", 1)
    assert record.estimator == "linear" and record.run_id == "run-train"
    assert record.feature_columns == ["x1", "x2", "x3"]
    saved = ctx.validations.saved[outcome["validation_id"]]
    assert saved["kind"] == "training" and saved["counts"]["accepted"] == 2
    assert saved["counts"]["rows"] == 160
    steps = [step for step, _ in progress]
    assert [s for i, s in enumerate(steps) if i == 0 or s != steps[i - 1]] == [
        "validate",
        "load",
        "train",
        "report",
        "save",
    ]
    assert {"figures.json", "report.html", "profile.json"} <= set(record.attachments)
    messages = [r.getMessage() for r in caplog.records if r.name == "test"]
    assert "step=validate Validating training batches" in messages
    assert not hasattr(ctx.log, "step")

    predicting = replace(project, production_version=1)
    ctx, promoted, progress = context(storage, predicting, "predict", models=ctx.models)

    result = run_prediction(ctx)

    assert storage.exists(result["output_path"])
    written = pd.read_csv(io.BytesIO(storage.read_bytes(result["output_path"])))
    assert result["output_rows"] == len(scoring) == len(written)
    assert result["model_version"] == 1 and result["metric"] == "balanced_accuracy"
    assert list(written["sample_id"]) == list(scoring["sample_id"])
    assert list(written["row"]) == list(range(1, len(scoring) + 1))
    assert set(written["source_file"]) == {PREDICTION_FILE}
    assert set(written["prediction"]) <= {"yes", "no"}
    assert np.allclose(written["probability_no"] + written["probability_yes"], 1.0, atol=1e-5)
    assert ctx.validations.saved[result["validation_id"]]["kind"] == "prediction"
    assert promoted == []
    assert [step for step, _ in progress][-2:] == ["drift", "write"]
    assert result["drift"]["drifted"] is False  # scored rows drawn like the training rows
    assert result["drift_summary"].startswith("No drift")


def test_prediction_without_a_production_model_is_refused(world):
    storage, project, _ = world
    ctx, _, _ = context(storage, project, "predict")
    with pytest.raises(ValidationError, match="no production model"):
        run_prediction(ctx)


def test_cancel_stops_the_training_at_its_first_step(world):
    storage, project, _ = world
    ctx, promoted, progress = context(storage, project, "train", cancel=lambda: True)
    with pytest.raises(RunCancelled):
        run_training(ctx)
    assert progress == [("validate", 2)]
    assert ctx.validations.started == [] and promoted == []
    assert not storage.exists(models_folder(project))
