"""Path safety, given any text: a clean relative path or the app's own ValidationError, never
another exception; and a clean path never leaves the folder asked for, holds no hidden
character, and is already clean."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_storage.paths import MAX_PATH_BYTES, clean_name, clean_path, is_within, join_path
from entity.validators import hidden_character
from exception_layer.errors import ValidationError

PROPERTY = settings(max_examples=500, deadline=None, database=None)

pieces = st.sampled_from(["..", ".", "", "a", "b c", "\\", "C:", "\u202e", "\x00", "é", "/"])
paths = st.text() | st.lists(pieces | st.text(max_size=6), max_size=8).map("/".join)


def cleaned(function, *args):
    try:
        return function(*args)
    except ValidationError as error:
        assert error.message
        return None


@PROPERTY
@given(paths | st.none() | st.integers())
def test_clean_path(path):
    result = cleaned(clean_path, path)
    if result is None:
        return
    parts = result.split("/") if result else []
    assert not result.startswith("/") and "\\" not in result
    assert all(part not in ("", ".", "..") for part in parts)
    assert hidden_character(result) is None
    assert len(result.encode()) <= MAX_PATH_BYTES
    assert clean_path(result) == result


@PROPERTY
@given(paths, st.text(max_size=20))
def test_join_stays_within_the_folder(folder, name):
    joined = cleaned(join_path, folder, name)
    if joined is not None:
        assert is_within(joined, clean_path(folder))
        assert joined.rsplit("/", 1)[-1] == clean_name(name)


@PROPERTY
@given(st.text() | st.binary())
def test_clean_name(name):
    result = cleaned(clean_name, name)
    if result is not None:
        assert "/" not in result and hidden_character(result) is None
