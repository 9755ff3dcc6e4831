"""The one reader of JSON people send, given any text: a value the database can store (no
integer beyond 64 bits, no infinite decimal, no half character) or a ValidationError in
words, never another exception (a RecursionError, an OverflowError)."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from entity.validators import INT64_MAX, INT64_MIN, MAX_JSON_DEPTH, json_document
from exception_layer.errors import ValidationError

PROPERTY = settings(max_examples=500, deadline=None, database=None)

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
nested = st.integers(0, 200).map(lambda depth: "[" * depth + "]" * depth)
texts = st.text() | values.map(json.dumps) | nested | st.binary().map(lambda b: b.hex())


def depth(value):
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def storable(value):
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return INT64_MIN <= value <= INT64_MAX
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    return all(storable(item) for item in value)


@PROPERTY
@given(texts | st.binary())
def test_any_text_is_a_storable_value_or_refused_in_words(text):
    try:
        value = json_document(text)
    except ValidationError as error:
        assert error.code == "invalid_json" and error.message
        return
    assert storable(value) and depth(value) <= MAX_JSON_DEPTH
