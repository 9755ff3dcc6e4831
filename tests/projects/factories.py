"""Batch files and schemas generated from scikit-learn's bundled breast-cancer data."""

import json

from sklearn.datasets import load_breast_cancer

from entity.project import Project

PREFIX = "cancer"


def cancer_frame():
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
    return frame  # 30 float features, integer 'target' last


def training_classic(frame=None, prefix=PREFIX):
    frame = cancer_frame() if frame is None else frame
    columns = {name: "float" for name in frame.columns[:-1]}
    columns["target"] = "Integer"
    return {
        "SampleFileName": f"{prefix}_01012024_120000.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": len(columns),
        "ColName": columns,
    }


def prediction_classic(frame=None, prefix=PREFIX):
    classic = training_classic(frame, prefix)
    del classic["ColName"]["target"]
    classic["NumberofColumns"] -= 1
    return classic


def csv_text(frame):
    return frame.to_csv(index=False)


def make_project(root="proj", **overrides):
    values = {
        "workspace_id": "ws1",
        "name": "Cancer",
        "root": root,
        "task": "binary",
        "target": "target",
        "training_schema": training_classic(),
        "prediction_schema": prediction_classic(),
    }
    values.update(overrides)
    project = Project(**values)
    project.id = "0" * 24
    return project


def schema_json(classic):
    return json.dumps(classic, indent=2)


def post_classic_project(client, headers, name):
    """Create a project with the cancer schemas through the API; return its JSON."""
    body = {
        "name": name,
        "training_schema": training_classic(),
        "prediction_schema": prediction_classic(),
    }
    response = client.post(
        "/api/v1/projects", data=json.dumps(body), headers=headers, content_type="application/json"
    )
    assert response.status_code == 201, response.json
    return response.json
