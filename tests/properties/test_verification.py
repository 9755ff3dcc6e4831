"""Batch verification, given any file (random bytes, or CSV-like text with quotes, long
fields, ragged rows and odd values) under any small schema: a FileCheck or the app's own
error, never another exception; a file is accepted exactly when no reason rejects it."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from exception_layer.errors import AppError
from project_library.validation.csv_rows import FIELD_LIMIT
from project_library.validation.schema import schema_from_columns
from project_library.validation.verification import FileCheck, verify

PROPERTY = settings(max_examples=300, deadline=None, database=None)
MARKERS = ["", "NULL", "?", "na"]

cells = st.sampled_from(
    ["1", "2.5", "-3", "'4'", " 5 ", "NULL", "?", "", "x", '"a,b"', '"', "1e999"]
) | st.text(max_size=12)
HUGE = "y" * (FIELD_LIMIT + 1)  # over the csv module's field limit
schemas = st.lists(
    st.tuples(
        st.text("abcxyz", min_size=1, max_size=5), st.sampled_from(["float", "Integer", "varchar"])
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda column: column[0],
).map(
    lambda columns: schema_from_columns(
        "batch_01012024_120000.csv",
        8,
        6,
        [{"name": n, "type": t, "position": i} for i, (n, t) in enumerate(columns, start=1)],
    )
)
line_ends = st.sampled_from(["\n", "\r\n", "\r"])


def files_for(schema):
    """Bytes of a file for ``schema``: its header (or a random first row) and random rows,
    the rows often as wide as the schema, so the typed parse and the evidence both run."""
    width = len(schema.columns)
    header = st.just(schema.names) | st.lists(cells, max_size=5)
    rows = st.lists(st.lists(cells, min_size=width, max_size=width) | st.lists(cells), max_size=8)
    text = st.builds(
        lambda first, rest, end, huge: (
            end.join(",".join(row) for row in [first, *rest]) + (f"{end}{HUGE}" if huge else "")
        ),
        header,
        rows,
        line_ends,
        st.sampled_from([False] * 9 + [True]),
    )
    return st.binary(max_size=300) | text.map(str.encode)


files = schemas.flatmap(lambda schema: st.tuples(st.just(schema), files_for(schema)))
names = st.sampled_from(["batch_01012024_120000.csv", "Batch_1_2.csv", "x.xlsx", "\u202e.csv"])


@PROPERTY
@given(files, names, st.booleans())
def test_any_file_ends_in_a_check_or_an_app_error(schema_and_data, name, strict):
    schema, data = schema_and_data
    try:
        check = verify(
            lambda: io.BytesIO(data),
            name,
            schema,
            missing_markers=MARKERS,
            strict_headers=strict,
            required_columns=[schema.columns[-1].name],
            block_size=64,
        )
    except AppError as error:
        assert error.message
        return
    assert isinstance(check, FileCheck)
    assert check.accepted == (not check.reasons)
    assert all(reason.code and reason.message for reason in check.reasons + check.warnings)
    if check.accepted:
        assert check.size == len(data) and check.sha256
