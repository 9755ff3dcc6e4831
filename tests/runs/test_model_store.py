import json

import numpy as np
import pytest

from cloud_storage.local import LocalStorage
from exception_layer.errors import Conflict
from project_library.models import artifacts as model_store
from project_library.models.artifacts import ModelRejected, load_model, save_model
from project_library.prediction.predict import predict_table, write_csv
from project_library.training.train import TrainingOptions, train
from tests.runs.data import table

SECRET = "test-secret-for-signing"
IDS = {"workspace_id": "w1", "project_id": "p1"}


class Exploding:
    """Unpickling this would run code: the store must refuse before it gets there."""

    def __reduce__(self):
        return (pytest.fail, ("a refused model was unpickled",))


@pytest.fixture(scope="module")
def trained():
    frame = table("binary", duplicate_rows=10)
    options = TrainingOptions(
        task="binary", target="label", id_columns=("sample_id",), candidates=("linear",)
    )
    return frame, train(frame, options)


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(str(tmp_path))


def save(storage, model, version=1, secret=SECRET):
    manifest = {**IDS, "metrics": {"balanced_accuracy": 0.9}, "lineage": [{"file": "a.csv"}]}
    return save_model(storage, "proj/models", version, model, manifest, secret)


def test_round_trip_verifies_and_predicts(storage, trained):
    frame, result = trained
    manifest = save(storage, result.model)
    assert manifest["signature"]["algorithm"] == "HMAC-SHA256"
    assert manifest["artifact"]["bytes"] > 0
    assert "scikit-learn" in manifest["libraries"]
    model, loaded = load_model(storage, "proj/models", 1, SECRET, expected=IDS)
    assert loaded == manifest
    assert (model.predict(frame) == result.model.predict(frame)).all()


def test_versions_are_immutable(storage, trained):
    save(storage, trained[1].model)
    with pytest.raises(Conflict, match="immutable"):
        save(storage, trained[1].model)


def test_tampered_artifact_is_refused_without_unpickling(storage, trained):
    save(storage, trained[1].model)
    import pickle

    storage.write_bytes("proj/models/v1/model.pkl", pickle.dumps(Exploding()))
    with pytest.raises(ModelRejected, match="does not match the signed manifest"):
        load_model(storage, "proj/models", 1, SECRET)


def test_edited_manifest_is_refused(storage, trained):
    save(storage, trained[1].model)
    path = "proj/models/v1/manifest.json"
    manifest = json.loads(storage.read_bytes(path))
    manifest["metrics"]["balanced_accuracy"] = 1.0
    storage.write_bytes(path, json.dumps(manifest).encode())
    with pytest.raises(ModelRejected, match="signature does not verify"):
        load_model(storage, "proj/models", 1, SECRET)


def test_unsigned_model_dropped_in_by_hand_is_refused(storage):
    import pickle

    storage.write_bytes("proj/models/v1/model.pkl", pickle.dumps(Exploding()))
    manifest = {**IDS, "version": 1, "artifact": {"file": "model.pkl", "sha256": "0" * 64}}
    storage.write_bytes("proj/models/v1/manifest.json", json.dumps(manifest).encode())
    with pytest.raises(ModelRejected, match="no signature") as caught:
        load_model(storage, "proj/models", 1, SECRET)
    assert "train a new version" in caught.value.message


def test_signature_under_another_secret_is_refused(storage, trained):
    save(storage, trained[1].model, secret="someone-else")
    with pytest.raises(ModelRejected):
        load_model(storage, "proj/models", 1, SECRET)


def test_model_from_another_project_is_refused(storage, trained):
    save(storage, trained[1].model)
    with pytest.raises(ModelRejected, match="another project"):
        load_model(storage, "proj/models", 1, SECRET, expected={"project_id": "p2"})


def test_garbage_manifest_is_refused(storage):
    storage.write_bytes("proj/models/v3/manifest.json", b"\x00not json")
    with pytest.raises(ModelRejected, match="not valid JSON"):
        model_store.read_manifest(storage, "proj/models", 3, SECRET)


def test_prediction_columns_and_probabilities(storage, trained):
    frame, result = trained
    incoming = frame.drop(columns=["label"]).iloc[:25]
    out = predict_table(result.model, incoming, id_columns=("sample_id",))
    assert list(out.columns) == [
        "source_file",
        "row",
        "sample_id",
        "prediction",
        "probability_benign",
        "probability_malignant",
    ]
    assert len(out) == 25
    assert out["source_file"].tolist() == incoming["_source_file"].tolist()
    assert out["row"].tolist() == incoming["_row"].tolist()
    assert np.allclose(
        out[["probability_benign", "probability_malignant"]].sum(axis=1), 1, atol=1e-5
    )
    size = write_csv(storage, "proj/predictions/run1.csv", out)
    assert size == len(storage.read_bytes("proj/predictions/run1.csv"))
    assert (
        storage.read_bytes("proj/predictions/run1.csv")
        .decode()
        .splitlines()[0]
        .startswith("source_file,row,sample_id,prediction")
    )


def test_regression_predictions_have_no_probabilities():
    frame = table("regression")
    result = train(
        frame, TrainingOptions(task="regression", target="label", candidates=("linear",))
    )
    out = predict_table(result.model, frame.drop(columns=["label"]))
    assert "prediction" in out.columns
    assert not [c for c in out.columns if c.startswith("probability_")]


def test_missing_feature_column_is_explained(trained):
    frame, result = trained
    with pytest.raises(Exception, match="lacks 1 column"):
        predict_table(result.model, frame.drop(columns=["colour"]))


def test_predictions_match_the_estimators_own_predict(trained):
    frame, result = trained
    out = predict_table(result.model, frame)
    assert (out["prediction"].to_numpy() == result.model.predict(frame)).all()
