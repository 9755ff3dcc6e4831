"""The schema parser, given anything (text, bytes, any JSON value, classic-looking objects
with any field values), returns a Schema or raises the app's own error, never another
exception; and what it accepts survives the round trip through the classic dict and text."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from exception_layer.errors import AppError
from project_library.validation.schema import Schema, parse_schema

PROPERTY = settings(max_examples=300, deadline=None, database=None)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
stamp_lengths = (
    st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["8", "²", " 6 ", "9" * 5000])
)
type_names = st.sampled_from(["float", "Integer", " varchar", "INT64", "decimal(10,2)", "blob", ""])
classic_objects = st.fixed_dictionaries(
    {},
    optional={
        "SampleFileName": st.text(max_size=30) | scalars,
        "LengthOfDateStampInFile": stamp_lengths,
        "LengthOfTimeStampInFile": stamp_lengths,
        "NumberofColumns": stamp_lengths,
        "ColName": st.dictionaries(st.text(max_size=10), type_names | scalars, max_size=6)
        | json_values,
    },
)


def parsed_or_refused(source):
    try:
        return parse_schema(source)
    except AppError as error:
        assert error.status_code in (400, 413) and error.message
        return None


@PROPERTY
@given(json_values | classic_objects)
def test_any_json_value(value):
    result = parsed_or_refused(value)
    assert result is None or isinstance(result, Schema)


@PROPERTY
@given(st.text() | classic_objects.map(json.dumps))
def test_any_text(text):
    parsed_or_refused(text)


@PROPERTY
@given(st.binary() | classic_objects.map(lambda o: json.dumps(o).encode("utf-16")))
def test_any_bytes(data):
    parsed_or_refused(data)


@PROPERTY
@given(classic_objects)
def test_an_accepted_schema_round_trips(value):
    schema = parsed_or_refused(value)
    if schema is None:
        return
    assert parse_schema(schema.to_classic()) == schema
    assert parse_schema(schema.export()) == schema
    assert 0 <= schema.date_length <= 32 and 0 <= schema.time_length <= 32
