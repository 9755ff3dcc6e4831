"""CSV text as people bring it: refuse what is not text, and read rows with bounded fields.

Python's csv module stops at a field longer than ``csv.field_size_limit()`` (131,072
characters) with a bare ``_csv.Error``. ``rows`` turns that into ``FieldTooLarge``, which
names the field's column, so a check can reject the file with that reason (its caller knows
the row) instead of crashing. The limit stays csv's own: raising it would let one field of a
multi-gigabyte upload be held in memory whole.
"""

import codecs
import csv
import io
import re

from exception_layer.errors import ValidationError

FIELD_LIMIT = csv.field_size_limit()
# One token of a CSV record: a quoted field (maybe unterminated), a run of plain text, a comma.
_TOKEN = re.compile(r'"(?:[^"]++|"")*+"?|[^,"]++|,')


class FieldTooLarge(ValidationError):
    """A CSV field longer than FIELD_LIMIT characters, in ``column`` (1-based)."""

    code = "field_too_large"

    def __init__(self, column):
        self.column = column
        super().__init__(
            f"Column {column} holds a field longer than {FIELD_LIMIT:,} characters, the most a "
            "CSV field may hold here.",
            details={"column": column, "limit": FIELD_LIMIT},
        )


def looks_binary(head):
    """True when the first bytes of a file are not UTF-8 text (a NUL byte, or invalid UTF-8;
    a character cut at the end of ``head`` is fine)."""
    if b"\0" in head:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


def rows(lines):
    """Yield the rows of CSV ``lines`` (an iterable of text lines read with ``newline=''``).

    Raise FieldTooLarge, with the column, when a field is over the limit.
    """
    record = []

    def kept(source):
        for line in source:
            record.append(line)
            yield line

    reader = csv.reader(kept(lines))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise FieldTooLarge(_overflowing_column("".join(record))) from None
        record.clear()
        yield row


def first_row(text):
    """The first row of CSV ``text`` ([] for none); FieldTooLarge as ``rows``."""
    return next(rows(io.StringIO(text, newline="")), [])


def _overflowing_column(record):
    """The 1-based column of the first field of ``record`` longer than FIELD_LIMIT."""
    column, length = 1, 0
    for token in _TOKEN.finditer(record):
        if token.group() == ",":
            column, length = column + 1, 0
            continue
        length += len(token.group())
        if length > FIELD_LIMIT:
            break
    return column
