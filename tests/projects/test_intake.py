import numpy as np
import pytest

from cloud_storage.local import LocalStorage
from exception_layer.errors import Conflict, NotFound, ValidationError
from project_library.validation.batches import (
    FileReport,
    ValidationResult,
    load_table,
    restore_from_quarantine,
    validate_batches,
)
from tests.projects.factories import cancer_frame, csv_text, make_project


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(str(tmp_path))


@pytest.fixture(scope="module")
def frame():
    return cancer_frame()


def put(storage, path, text):
    storage.write_bytes(path, text.encode() if isinstance(text, str) else text)


def test_accepts_good_files_and_quarantines_bad_ones(storage, frame):
    project = make_project()
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(frame[:200]))
    put(storage, "proj/training_batches/cancer_02012024_120000.csv", csv_text(frame[200:]))
    put(storage, "proj/training_batches/cancer_03012024_1200.csv", csv_text(frame[:10]))
    put(storage, "proj/training_batches/cancer_04012024_120000.csv", b"")

    result = validate_batches(storage, project, "training")

    assert [f.name for f in result.files if f.accepted] == [
        "cancer_01012024_120000.csv",
        "cancer_02012024_120000.csv",
    ]
    assert result.accepted == [
        "proj/training_batches/cancer_01012024_120000.csv",
        "proj/training_batches/cancer_02012024_120000.csv",
    ]
    remaining = [e.name for e in storage.list("proj/training_batches").files]
    assert remaining == ["cancer_01012024_120000.csv", "cancer_02012024_120000.csv"]
    quarantine = f"proj/quarantine/{result.id}"
    names = sorted(e.name for e in storage.list(quarantine).files)
    assert names == [
        "cancer_03012024_1200.csv",
        "cancer_03012024_1200.csv.reason.txt",
        "cancer_04012024_120000.csv",
        "cancer_04012024_120000.csv.reason.txt",
    ]
    reason = storage.read_bytes(f"{quarantine}/cancer_04012024_120000.csv.reason.txt").decode()
    assert "[empty_file]" in reason
    # moved, not deleted: the content is intact
    assert storage.read_bytes(f"{quarantine}/cancer_03012024_1200.csv").decode() == csv_text(
        frame[:10]
    )


def test_report_round_trips_through_dict(storage, frame):
    project = make_project()
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(frame[:50]))
    put(storage, "proj/training_batches/bad.csv", "x;y\n1;2\n")
    result = validate_batches(storage, project, "training")
    data = result.to_dict()
    assert data["counts"] == {"files": 2, "accepted": 1, "rejected": 1, "rows": 50}
    again = ValidationResult.from_dict(data)
    assert [f.to_dict() for f in again.files] == data["files"]
    rejected = data["files"][0]
    assert rejected["name"] == "bad.csv"
    assert {r["code"] for r in rejected["reasons"]} == {"file_name", "not_comma_separated"}
    assert all(r["evidence"] for r in rejected["reasons"])


def test_duplicate_content_is_a_warning_and_read_once(storage, frame):
    project = make_project()
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(frame[:100]))
    put(storage, "proj/training_batches/cancer_05012024_120000.csv", csv_text(frame[:100]))
    result = validate_batches(storage, project, "training")
    assert all(f.accepted for f in result.files)
    copy = result.files[1]
    assert copy.duplicate_of == "cancer_01012024_120000.csv"
    assert [w.code for w in copy.warnings] == ["duplicate_content"]
    table = load_table(storage, project, result, "training")
    assert len(table) == 100


def test_restore_after_fix(storage, frame):
    project = make_project()
    bad = frame[:30].copy()
    bad["target"] = np.nan
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(bad))
    result = validate_batches(storage, project, "training")
    assert [r.code for r in result.files[0].reasons] == ["column_all_missing"]
    quarantined = result.files[0].quarantine_path
    put(storage, quarantined, csv_text(frame[:30]))  # fixed in place

    destination = restore_from_quarantine(storage, project, result, "cancer_01012024_120000.csv")

    assert destination == "proj/training_batches/cancer_01012024_120000.csv"
    assert not storage.exists(quarantined)
    assert not storage.exists(quarantined + ".reason.txt")
    assert validate_batches(storage, project, "training").files[0].accepted
    with pytest.raises(Conflict):
        restore_from_quarantine(storage, project, result, "cancer_01012024_120000.csv")
    with pytest.raises(NotFound):
        restore_from_quarantine(storage, project, result, "nope.csv")


def test_load_table_maps_by_position_types_and_numbers_rows(storage, frame):
    project = make_project()
    first = frame[:5].rename(columns={"mean_radius": "Radius", "target": "label"})
    first = first.astype({"mean_texture": object})
    first.loc[2, "mean_texture"] = "NULL"
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(first))
    second = frame[5:8].astype({"mean_area": object})
    second.loc[6, "mean_area"] = " 12.5 "  # a person reads 12.5
    put(storage, "proj/training_batches/cancer_02012024_120000.csv", csv_text(second))
    result = validate_batches(storage, project, "training")
    assert len(result.accepted) == 2

    table = load_table(storage, project, result, "training")

    assert list(table.columns) == [*frame.columns, "_source_file", "_row"]
    assert len(table) == 8
    assert np.isnan(table.loc[2, "mean_texture"])
    assert table.loc[6, "mean_area"] == 12.5
    assert table["target"].dtype == "int64"
    assert table["mean_radius"].tolist() == pytest.approx(frame["mean_radius"][:8].tolist())
    assert table["_row"].tolist() == [1, 2, 3, 4, 5, 1, 2, 3]
    assert table["_source_file"].iloc[-1] == "cancer_02012024_120000.csv"


def test_strings_are_cleaned_of_quotes_and_markers(storage):
    classic = {
        "SampleFileName": "shop_01012024_120000.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": 2,
        "ColName": {"colour": "varchar", "class": "varchar"},
    }
    project = make_project(training_schema=classic, target="class")
    put(
        storage,
        "proj/training_batches/shop_01012024_120000.csv",
        "colour,class\n'x','p'\n '?' ,'e'\nNULL,p\n",
    )
    result = validate_batches(storage, project, "training")
    table = load_table(storage, project, result, "training")
    assert table["colour"].tolist()[0] == "x"
    assert table["colour"].isna().tolist() == [False, True, True]
    assert table["class"].tolist() == ["p", "e", "p"]


def test_prediction_kind_uses_prediction_schema_and_folder(storage, frame):
    project = make_project()
    features = frame.drop(columns=["target"])
    put(storage, "proj/prediction_batches/cancer_01012024_120000.csv", csv_text(features[:20]))
    put(storage, "proj/prediction_batches/cancer_02012024_120000.csv", csv_text(frame[:20]))
    result = validate_batches(storage, project, "prediction")
    assert [f.accepted for f in result.files] == [True, False]
    assert result.files[1].quarantine_path.startswith(f"proj/quarantine/{result.id}/")
    table = load_table(storage, project, result, "prediction")
    assert "target" not in table.columns and len(table) == 20


def test_all_names_wrong_gives_one_clear_note(storage, frame):
    classic = make_project().training_schema | {"SampleFileName": "cancr_01012024_120000.csv"}
    project = make_project(training_schema=classic)
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(frame[:5]))
    put(storage, "proj/training_batches/cancer_02012024_120000.csv", csv_text(frame[5:9]))
    result = validate_batches(storage, project, "training")
    assert "Is the schema's SampleFileName right?" in result.notes[0]
    assert "'cancr'" in result.notes[0]


def test_missing_schema_and_empty_folder(storage):
    with pytest.raises(ValidationError):
        validate_batches(storage, make_project(prediction_schema=None), "prediction")
    result = validate_batches(storage, make_project(), "training")
    assert result.files == [] and "empty" in result.notes[0]


def test_cancel_stops_between_files(storage, frame):
    from project_library.cancellation import RunCancelled

    project = make_project()
    put(storage, "proj/training_batches/cancer_01012024_120000.csv", csv_text(frame[:5]))
    with pytest.raises(RunCancelled):
        validate_batches(storage, project, "training", cancel=lambda: True)


def test_file_report_from_dict_ignores_unknown_keys():
    report = FileReport.from_dict(
        {"name": "a.csv", "path": "p/a.csv", "accepted": True, "extra": 1}
    )
    assert report.name == "a.csv" and report.reasons == []
