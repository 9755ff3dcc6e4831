"""A zip import, given a damaged archive (any bytes of a good one changed): every member reads
whole or the import is refused with the app's own error naming the member, never another
exception (BadZipFile, zlib.error, EOFError, NotImplementedError...)."""

import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from exception_layer.errors import ValidationError
from project_library.projects.setup import zip_source

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def good_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p/schema_training.json", '{"SampleFileName": "a_1_1.csv"}' * 20)
        archive.writestr("p/Training_Batch_Files/a_01012024_120000.csv", "a,b\n1,2\n" * 200)
    return buffer.getvalue()


GOOD = good_zip()
damage = st.lists(
    st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=4
)


@PROPERTY
@given(damage)
def test_a_damaged_zip_reads_or_is_refused_in_words(changes):
    data = bytearray(GOOD)
    for position, value in changes:
        data[position] = value
    try:
        for item in zip_source(io.BytesIO(bytes(data))):
            with item.open() as stream:
                text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
                text.read()
    except ValidationError as error:
        assert "zip" in error.message
