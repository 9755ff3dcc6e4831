import io
import zipfile

import numpy as np
import pytest

from entity.project import DEFAULT_MISSING_MARKERS
from project_library.validation.schema import parse_schema
from project_library.validation.verification import check_file_name, verify
from tests.projects.factories import cancer_frame, csv_text, training_classic

GOOD_NAME = "cancer_01012024_120000.csv"


@pytest.fixture(scope="module")
def frame():
    return cancer_frame()


@pytest.fixture(scope="module")
def schema(frame):
    return parse_schema(training_classic(frame))


def run(data, schema, name=GOOD_NAME, **options):
    if isinstance(data, str):
        data = data.encode("utf-8")
    options.setdefault("missing_markers", DEFAULT_MISSING_MARKERS)
    return verify(lambda: io.BytesIO(data), name, schema, **options)


def codes(items):
    return [item.code for item in items]


def test_good_file_is_accepted_with_rows_and_hash(frame, schema):
    check = run(csv_text(frame), schema)
    assert check.accepted, check.reasons
    assert check.rows == len(frame)
    assert len(check.sha256) == 64
    assert check.warnings == []


@pytest.mark.parametrize(
    "name, accepted",
    [
        ("cancer_01012024_120000.csv", True),
        ("CANCER_01012024_120000.csv", True),  # prefix is case-insensitive
        ("cancer_0101202_120000.csv", False),
        ("cancer_01012024_1200.csv", False),
        ("cancr_01012024_120000.csv", False),
        ("cancer_01012024_120000.xlsx", False),
        ("cancer.csv", False),
    ],
)
def test_file_name_pattern(schema, name, accepted):
    assert (check_file_name(name, schema) is None) is accepted


def test_file_name_reason_says_what_is_wrong(schema):
    reason = check_file_name("cancer_01012024_1200.csv", schema)
    assert "8 and 4 digits" in reason.message
    assert reason.evidence["expected_pattern"] == "cancer_DDDDDDDD_TTTTTT.csv"


def test_column_count(frame, schema):
    check = run(csv_text(frame.drop(columns=["mean_radius", "target"])), schema)
    reason = check.reasons[0]
    assert codes(check.reasons) == ["column_count"]
    assert reason.evidence["expected"] == 31 and reason.evidence["found"] == 29
    assert set(reason.evidence["schema_columns_not_in_header"]) == {"mean_radius", "target"}


def test_type_mismatch_carries_rows_column_and_values(frame, schema):
    bad = frame.copy()
    bad["mean_area"] = bad["mean_area"].astype(object)
    bad.loc[[4, 9], "mean_area"] = ["big", "huge"]
    check = run(csv_text(bad), schema)
    assert codes(check.reasons) == ["type_mismatch"]
    evidence = check.reasons[0].evidence
    assert evidence["column"] == "mean_area"
    assert evidence["position"] == list(frame.columns).index("mean_area") + 1
    assert evidence["rows"] == [5, 10]
    assert evidence["values"] == ["big", "huge"]
    assert evidence["count"] == 2


def test_evidence_row_numbers_survive_many_blocks(frame, schema):
    big = frame.sample(n=6000, replace=True, random_state=1).reset_index(drop=True)
    big["mean_area"] = big["mean_area"].astype(object)
    big.loc[5500, "mean_area"] = "oops"
    check = run(csv_text(big), schema, block_size=64 * 1024)
    assert check.reasons[0].evidence["rows"] == [5501]
    assert check.rows == 6000


def test_missing_markers_are_not_type_errors(frame, schema):
    text = csv_text(frame.head(20)).splitlines()
    cells = text[3].split(",")
    cells[0], cells[1], cells[2] = "NULL", "?", "'na'"
    text[3] = ",".join(cells)
    check = run("\n".join(text) + "\n", schema)
    assert check.accepted, check.reasons


def test_spaces_and_quotes_around_numbers_are_accepted(frame, schema):
    text = csv_text(frame.head(10)).splitlines()
    cells = text[2].split(",")
    cells[0], cells[1] = f" {cells[0]} ", f"'{cells[1]}'"
    text[2] = ",".join(cells)
    check = run("\n".join(text) + "\n", schema)
    assert check.accepted, check.reasons


def test_target_entirely_missing_is_rejected(frame, schema):
    bad = frame.head(30).copy()
    bad["target"] = np.nan
    check = run(csv_text(bad), schema, required_columns=["target"])
    assert codes(check.reasons) == ["column_all_missing"]
    assert check.reasons[0].evidence["columns"] == [{"name": "target", "position": 31}]


def test_feature_entirely_missing_is_a_warning(frame, schema):
    bad = frame.head(30).copy()
    bad["mean_texture"] = "NULL"
    check = run(csv_text(bad), schema, required_columns=["target"])
    assert check.accepted
    assert codes(check.warnings) == ["column_all_missing"]


def test_zero_byte_file(schema):
    check = run(b"", schema)
    assert codes(check.reasons) == ["empty_file"]


def test_header_only_file(frame, schema):
    check = run(",".join(frame.columns) + "\n", schema)
    assert codes(check.reasons) == ["no_rows"]


def test_binary_file_renamed_csv(frame, schema):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sheet.xml", csv_text(frame.head(5)))
    check = run(buffer.getvalue(), schema)
    assert codes(check.reasons) == ["not_text"]
    assert check.reasons[0].evidence["first_bytes"].startswith("50 4b")


def test_latin1_bytes_are_not_text(frame, schema):
    check = run(csv_text(frame.head(3)).encode() + "caf\xe9\n".encode("latin-1"), schema)
    assert "not_text" in codes(check.reasons)


def test_semicolon_separated_file(frame, schema):
    check = run(frame.head(5).to_csv(index=False, sep=";"), schema)
    assert codes(check.reasons) == ["not_comma_separated"]
    assert check.reasons[0].evidence["separator"] == ";"


def test_ragged_rows_are_located(frame, schema):
    lines = csv_text(frame.head(40)).splitlines()
    lines[7] += ",1,2"
    lines[20] = lines[20].rsplit(",", 3)[0]
    check = run("\n".join(lines) + "\n", schema)
    assert codes(check.reasons) == ["ragged_rows"]
    evidence = check.reasons[0].evidence
    assert evidence["rows"] == [7, 20] and evidence["found"] == [33, 28]


def test_header_names_differ_is_a_warning_unless_strict(frame, schema):
    renamed = frame.head(10).rename(columns={"mean_radius": "Radius (mean)", "target": ""})
    check = run(csv_text(renamed), schema)
    assert check.accepted
    assert codes(check.warnings) == ["header_names"]
    assert check.warnings[0].evidence["differences"][0] == {
        "position": 1,
        "schema": "mean_radius",
        "file": "Radius (mean)",
    }
    strict = run(csv_text(renamed), schema, strict_headers=True)
    assert codes(strict.reasons) == ["header_names"]


def test_integer_column_with_decimals_is_a_warning(frame, schema):
    bad = frame.head(10).copy()
    bad["target"] = bad["target"].astype(float)
    bad.loc[3, "target"] = 0.5
    check = run(csv_text(bad), schema)
    assert check.accepted
    assert codes(check.warnings) == ["integer_has_decimals"]
    assert check.warnings[0].evidence["rows"] == [4]


def test_600_column_file():
    names = [f"sensor_{i}" for i in range(600)]
    classic = {
        "SampleFileName": "wide_01012024_120000.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": 600,
        "ColName": dict.fromkeys(names, "float"),
    }
    schema = parse_schema(classic)
    rng = np.random.default_rng(0)
    rows = [",".join(names)] + [
        ",".join("NULL" if v < -2 else f"{v:.4f}" for v in rng.normal(size=600)) for _ in range(50)
    ]
    check = run("\n".join(rows) + "\n", schema, name="wide_01012024_120000.csv")
    assert check.accepted, check.reasons
    assert check.rows == 50


def test_non_ascii_names():
    classic = {
        "SampleFileName": "données_01012024_120000.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": 3,
        "ColName": {"température": "float", "ville": "varchar", "Größe": "integer"},
    }
    schema = parse_schema(classic)
    body = "température,ville,Größe\n21.5,Zürich,3\n19.0,Málaga,4\n"
    check = run(body, schema, name="Données_02012024_130000.csv")
    assert check.accepted, check.reasons
    bad = run(body.replace("21.5", "vingt"), schema, name="données_02012024_130000.csv")
    assert bad.reasons[0].evidence["column"] == "température"
    assert bad.reasons[0].evidence["values"] == ["vingt"]


def test_windows_line_ends_and_byte_order_mark_are_accepted(frame, schema):
    text = csv_text(frame.head(12)).replace("\n", "\r\n")
    check = run(b"\xef\xbb\xbf" + text.encode(), schema)
    assert check.accepted, check.reasons
    assert check.rows == 12 and check.warnings == []


def test_last_line_without_newline(frame, schema):
    check = run(csv_text(frame.head(7)).rstrip("\n"), schema)
    assert check.accepted and check.rows == 7


def test_a_prediction_file_in_the_training_folder_is_named_as_such(frame, schema):
    check = run(
        csv_text(frame.drop(columns=["target"]).head(5)), schema, required_columns=["target"]
    )
    assert codes(check.reasons) == ["column_count"]
    assert "lacks the target 'target'" in check.reasons[0].message
