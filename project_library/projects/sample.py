"""The sample project: scikit-learn's breast-cancer data cut into dated batch files."""

import io
import json

from integration.layout import PREDICTION_BATCHES, TRAINING_BATCHES, project_path
from project_library.projects.setup import create_project

SAMPLE_NAME = "Breast cancer (sample)"
PREFIX = "breast_cancer"
TARGET = "diagnosis"
TRAINING_DATES = ["03012024_090000", "10012024_090000", "17012024_090000", "24012024_090000"]
MALFORMED_DATE = "31012024_090000"
PREDICTION_DATE = "07022024_090000"


def _frame():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
    frame = frame.rename(columns={"target": TARGET})
    frame[TARGET] = frame[TARGET].map({0: "malignant", 1: "benign"})
    frame.insert(0, "patient_id", [f"P{i:05d}" for i in range(1, len(frame) + 1)])
    return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)


def sample_schemas(frame=None):
    frame = _frame() if frame is None else frame
    columns = {"patient_id": "varchar"}
    columns.update({c: "float" for c in frame.columns if c not in ("patient_id", TARGET)})
    training = {
        "SampleFileName": f"{PREFIX}_{TRAINING_DATES[0]}.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": len(columns) + 1,
        "ColName": {**columns, TARGET: "varchar"},
    }
    prediction = {**training, "NumberofColumns": len(columns), "ColName": columns}
    return training, prediction


def sample_files():
    """(folder, file name, bytes) for every batch file of the sample."""
    frame = _frame()
    features = frame.drop(columns=[TARGET])
    held_out = 69
    training, scoring = frame.iloc[held_out:], features.iloc[:held_out]
    files = []
    size = len(training) // len(TRAINING_DATES) + 1
    for index, date in enumerate(TRAINING_DATES):
        part = training.iloc[index * size : (index + 1) * size]
        files.append((TRAINING_BATCHES, f"{PREFIX}_{date}.csv", part.to_csv(index=False).encode()))
    # Deliberately malformed: a text value in a numeric column and a short row.
    broken = training.iloc[:40].copy()
    broken["mean_area"] = broken["mean_area"].astype(object)
    broken.loc[broken.index[6], "mean_area"] = "see notes"
    lines = broken.to_csv(index=False).splitlines()
    lines[15] = ",".join(lines[15].split(",")[:12])
    files.append(
        (TRAINING_BATCHES, f"{PREFIX}_{MALFORMED_DATE}.csv", ("\n".join(lines) + "\n").encode())
    )
    files.append(
        (
            PREDICTION_BATCHES,
            f"{PREFIX}_{PREDICTION_DATE}.csv",
            scoring.to_csv(index=False).encode(),
        )
    )
    return files


def create_sample_project(
    projects,
    storage,
    *,
    workspace_id,
    connection_id=None,
    created_by=None,
    name=SAMPLE_NAME,
    root=None,
):
    from entity.project import Project

    training, prediction = sample_schemas()
    project = Project(
        workspace_id=workspace_id,
        name=name,
        description="Tumour measurements from scikit-learn's breast-cancer data, cut into "
        "weekly batch files. One batch is deliberately malformed, to show quarantine.",
        connection_id=connection_id,
        root=root or "",
        task="binary",
        target=TARGET,
        id_columns=["patient_id"],
        metric="balanced_accuracy",
        training_schema=training,
        prediction_schema=prediction,
        schema_texts={
            "training": json.dumps(training, indent=4) + "\n",
            "prediction": json.dumps(prediction, indent=4) + "\n",
        },
        created_by=created_by,
    )

    def write_files(created, write):
        for folder, file_name, data in sample_files():
            write(project_path(created.root, folder, file_name), io.BytesIO(data), len(data))

    return create_project(projects, storage, project, then=write_files)
