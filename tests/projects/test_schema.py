import json

import pytest

from project_library.validation.samples import propose_schema
from project_library.validation.schema import (
    SchemaError,
    infer_target,
    infer_task,
    normalise_type,
    parse_schema,
    schema_from_columns,
)

MESSY = """{	"SampleFileName": "wafer_08012020_120000.csv",
	"LengthOfDateStampInFile": 8,
	"LengthOfTimeStampInFile": 6,
	"NumberofColumns" : 7,
	"ColName": {
		"Wafer" : "varchar",
		"Sensor - 1": " float",
		"Sensor - 2": "FLOAT",
		"Count": "Integer",
		"Other": "INTEGER",
		"Name": "VARCHAR",
		"Output" : "Integer"


	}
}
"""


def test_messy_type_spellings_are_normalised():
    schema = parse_schema(MESSY)
    assert [c.type for c in schema.columns] == [
        "string",
        "float",
        "float",
        "integer",
        "integer",
        "string",
        "integer",
    ]
    assert [c.position for c in schema.columns] == list(range(1, 8))
    assert schema.prefix == "wafer"
    assert schema.file_pattern() == "wafer_DDDDDDDD_TTTTTT.csv"


@pytest.mark.parametrize(
    "spelled, expected",
    [
        ("varchar", "string"),
        ("VARCHAR(20)", "string"),
        (" float", "float"),
        ("FLOAT", "float"),
        ("Integer", "integer"),
        ("INTEGER", "integer"),
        ("double", "float"),
        ("blob", None),
    ],
)
def test_normalise_type(spelled, expected):
    assert normalise_type(spelled) == expected


def test_export_is_byte_for_byte_while_unchanged():
    schema = parse_schema(MESSY)
    assert schema.export() == MESSY
    assert schema.to_classic()["ColName"]["Sensor - 1"] == " float"


def test_export_after_edit_is_valid_classic_json():
    schema = parse_schema(MESSY)
    schema.columns.pop()
    text = schema.export()
    assert text != MESSY
    data = json.loads(text)
    assert data["NumberofColumns"] == 6
    assert list(data["ColName"]) == ["Wafer", "Sensor - 1", "Sensor - 2", "Count", "Other", "Name"]


def test_number_of_columns_must_agree():
    bad = MESSY.replace('"NumberofColumns" : 7', '"NumberofColumns" : 9')
    with pytest.raises(SchemaError) as caught:
        parse_schema(bad)
    assert any("says 9 but ColName lists 7" in p for p in caught.value.problems)


def test_problems_are_reported_in_words():
    text = json.dumps(
        {"SampleFileName": "", "LengthOfDateStampInFile": "eight", "ColName": {"a": "blob"}}
    )
    with pytest.raises(SchemaError) as caught:
        parse_schema(text)
    problems = " ".join(caught.value.problems)
    assert "'LengthOfTimeStampInFile' is missing" in problems
    assert "'NumberofColumns' is missing" in problems
    assert "must be a whole number" in problems
    assert "type 'blob'" in problems


def test_duplicate_column_names_are_reported():
    text = (
        '{"SampleFileName": "a_01012020_120000.csv", "LengthOfDateStampInFile": 8,'
        ' "LengthOfTimeStampInFile": 6, "NumberofColumns": 2,'
        ' "ColName": {"x": "float", "x": "float"}}'
    )
    with pytest.raises(SchemaError) as caught:
        parse_schema(text)
    assert "appears more than once" in caught.value.message


def test_not_json_says_where():
    with pytest.raises(SchemaError) as caught:
        parse_schema('{"SampleFileName": ')
    assert "not valid JSON" in caught.value.message


def test_key_case_and_spacing_are_forgiven():
    text = (
        '{"sampleFileName": "a_01012020_120000.csv", "LengthOfDateStampInFile": "8",'
        ' "LengthOfTimeStampInFile": 6, "Number of Columns": 1, "ColName": {"x": "float"}}'
    )
    schema = parse_schema(text)
    assert schema.date_length == 8 and schema.names == ["x"]


def test_target_and_task_inference():
    training = parse_schema(MESSY)
    prediction_text = MESSY.replace(',\n\t\t"Output" : "Integer"', "").replace(": 7", ": 6")
    prediction = parse_schema(prediction_text)
    assert infer_target(training, prediction) == "Output"
    assert infer_task("integer", [-1, 1, 1, -1])[0] == "binary"
    assert infer_task("string", ["a", "b", "c"])[0] == "multiclass"
    assert infer_task("float")[0] == "regression"
    assert infer_task("integer", list(range(100)))[0] == "regression"
    assert infer_task("integer", [1, 2, 3, 4, 5, 6, 7])[0] == "multiclass"
    assert infer_task("integer")[0] is None


def test_propose_schema_from_sample_csv():
    sample = b"id,height,count,colour\nr1,1.5,3,red\nr2,NULL,4,blue\nr3,2.25,,green\n"
    schema, values = propose_schema(sample, "plants_02022024_101010.csv")
    assert [(c.name, c.type) for c in schema.columns] == [
        ("id", "string"),
        ("height", "float"),
        ("count", "integer"),
        ("colour", "string"),
    ]
    assert schema.sample_file_name == "plants_02022024_101010.csv"
    assert values["colour"] == ["red", "blue", "green"]


def test_propose_schema_invents_a_sample_name_when_unstamped():
    schema, _ = propose_schema(b"a,b\n1,2\n", "my data.csv")
    assert schema.sample_file_name == "my_data_01012024_120000.csv"
    assert (schema.date_length, schema.time_length) == (8, 6)


def test_schema_from_table_rows_orders_by_position():
    schema = schema_from_columns(
        "x_01012024_120000.csv",
        8,
        6,
        [
            {"name": "b", "type": "integer", "position": 2},
            {"name": "a", "type": "varchar", "position": 1},
            {"name": "", "type": "float", "position": 3},
        ],
    )
    assert schema.names == ["a", "b"]
    assert schema.to_classic()["ColName"] == {"a": "varchar", "b": "Integer"}
