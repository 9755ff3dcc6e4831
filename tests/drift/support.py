"""Helpers for the drift tests: a quick model, the real projects' prepared features, and
profiles and batches built from them the way training and prediction will."""

import json
import shutil
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from cloud_storage.local import LocalStorage
from entity.project import Project
from project_library.drift import batch_predictions, build_profile, reference_predictions
from project_library.training.candidates import tree_preprocessor
from project_library.training.cleaning import clean_training_table
from project_library.training.evaluation import permutation
from project_library.training.metrics import default_metric, is_classification
from project_library.validation.batches import load_table, validate_batches

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
PROJECTS = {
    "wafer": {"task": "binary", "target": "Output", "id_columns": ["Wafer"]},
    "cement": {"task": "regression", "target": "Concrete_compressive_strength"},
    "mushroom": {"task": "binary", "target": "class"},
    "forest_cover": {"task": "multiclass", "target": "class"},
}


def quick_model(X, y, numeric, categorical, task):
    """A small HistGradientBoosting pipeline, the platform's tree preprocessing in front."""
    cls = (
        HistGradientBoostingClassifier if is_classification(task) else HistGradientBoostingRegressor
    )
    model = Pipeline(
        [
            ("prepare", tree_preprocessor(numeric, categorical, impute=False)),
            ("model", cls(max_iter=40, random_state=0)),
        ]
    )
    return model.fit(X, np.asarray(y))


def real_project(name, folder):
    """The cleaned training table of a real project, through validation, intake and cleaning."""
    settings = PROJECTS[name]
    source = DATASETS / name
    shutil.copytree(source / "training_batch", folder / "p" / "training_batches")
    for copied in (folder / "p").rglob("*"):
        copied.chmod(0o755 if copied.is_dir() else 0o644)
    project = Project(
        workspace_id="w",
        name=name,
        root="p",
        target=settings["target"],
        task=settings["task"],
        training_schema=json.loads((source / "schema_training.json").read_text()),
        id_columns=settings.get("id_columns", []),
    )
    storage = LocalStorage(str(folder))
    frame = load_table(storage, project, validate_batches(storage, project, "training"), "training")
    return clean_training_table(
        frame,
        task=settings["task"],
        target=settings["target"],
        id_columns=settings.get("id_columns", ()),
    )


class Reference:
    """A profile from half the rows (a model fitted on 70% of them, its predictions on the
    other 30%, and with ``importance`` its permutation-importance weights there), and the other
    half as the pool healthy batches are drawn from. The profile goes through JSON, as it
    will when saved beside the model."""

    def __init__(self, X, y, numeric, categorical, task, *, importance=False, seed=0):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(X))
        profiled, self.pool = order[: len(X) // 2], order[len(X) // 2 :]
        fit, held = profiled[: len(profiled) * 7 // 10], profiled[len(profiled) * 7 // 10 :]
        y = np.asarray(y)
        self.X, self.task = X, task
        self.model = quick_model(X.iloc[fit], y[fit], numeric, categorical, task)
        classes = sorted(np.unique(y).tolist()) if is_classification(task) else None
        weights = None
        if importance:
            metric = default_metric(task)
            scored = permutation(
                self.model, X.iloc[held], y[held], task=task, metric=metric, classes=classes
            )
            weights = scored.weights()
        profile = build_profile(
            X.iloc[profiled],
            numeric,
            categorical,
            predictions=reference_predictions(self.model.predict(X.iloc[held]), classes),
            weights=weights,
        )
        self.profile = json.loads(json.dumps(profile, allow_nan=False))

    def predictions(self, batch):
        return batch_predictions(self.model.predict(batch), self.profile["predictions"])

    def healthy_batches(self, count, largest=5_000, seed=1):
        """``count`` batches of 50 to ``largest`` rows drawn (without replacement) from the
        pool of rows the profile never saw."""
        rng = np.random.default_rng(seed)
        sizes = np.geomspace(50, min(largest, len(self.pool)), count).round().astype(int)
        for size in sizes:
            yield self.X.iloc[rng.choice(self.pool, size, replace=False)]
