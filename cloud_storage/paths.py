"""Path safety for every storage path the platform handles, in one place.

Storage paths are relative posix strings ('' is the root of a connection). Anything that
could name a place outside the folder asked for is refused with a ValidationError whose
message says what is wrong, never echoing more than the offending name.
"""

import re
import unicodedata

from entity.validators import hidden_character
from exception_layer.errors import ValidationError

MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def _refuse_hidden_characters(text, what):
    """Control characters, and text-direction marks that make ``\u202egnp.exe`` read as
    ``exe.png``, are refused in every name a storage adapter is given."""
    found = hidden_character(text)
    if found:
        raise ValidationError(
            f"{what} cannot contain control characters or text-direction marks ({found})."
        )


def clean_name(name):
    """Check one file or folder name (no slashes) and return it NFC-normalised."""
    if not isinstance(name, str):
        raise ValidationError("A name must be text.")
    name = unicodedata.normalize("NFC", name)
    if not name.strip():
        raise ValidationError("A name cannot be empty.")
    _refuse_hidden_characters(name, "Names")
    if "\\" in name:
        raise ValidationError("Names cannot contain a backslash.")
    if "/" in name:
        raise ValidationError("A name cannot contain '/'.")
    if name in (".", ".."):
        raise ValidationError("'.' and '..' are not allowed as names.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationError(f"A name can be at most {MAX_NAME_BYTES} bytes long.")
    return name


def clean_path(path):
    """Return the normalised relative path, or raise ValidationError.

    '' (or None) is the root. A trailing '/' is dropped. Absolute paths, '..' and '.',
    empty segments, backslashes, control and text-direction characters, drive letters and
    over-long names are refused.
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise ValidationError("A path must be text.")
    _refuse_hidden_characters(path, "Paths")
    if "\\" in path:
        raise ValidationError("Paths cannot contain a backslash; use '/' between folders.")
    if path.startswith("/") or _DRIVE.match(path):
        raise ValidationError("Paths must be relative to the connection's root.")
    path = path.rstrip("/") if path.endswith("/") and path.strip("/") else path
    if path == "":
        return ""
    parts = path.split("/")
    if any(part == "" for part in parts):
        raise ValidationError("Paths cannot contain empty folder names ('//').")
    cleaned = "/".join(clean_name(part) for part in parts)
    if len(cleaned.encode("utf-8")) > MAX_PATH_BYTES:
        raise ValidationError(f"A path can be at most {MAX_PATH_BYTES} bytes long.")
    return cleaned


def join_path(folder, name):
    """Join a clean folder path and one name; both are checked."""
    folder = clean_path(folder)
    name = clean_name(name)
    return f"{folder}/{name}" if folder else name


def parent_of(path):
    path = clean_path(path)
    return path.rsplit("/", 1)[0] if "/" in path else ""


def is_within(path, folder):
    """True when clean ``path`` is ``folder`` itself or lies below it."""
    return folder == "" or path == folder or path.startswith(folder + "/")
