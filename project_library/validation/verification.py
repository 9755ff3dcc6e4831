"""Check one batch file against its schema, reading it as a stream with bounded memory.

The fast path parses the file with pyarrow's streaming CSV reader, typed by the schema, in
blocks of ``block_size`` bytes; it only counts (rows, missing cells, decimals in integer
columns) and hashes the bytes as they pass. When that parse meets something it cannot take
(a value that is not a number, a row with the wrong number of fields), the file is read a
second time, row by row, to collect the evidence a person needs: row numbers, the column and
a few offending values. Good files are therefore read once; only bad files are read twice.

Columns are mapped BY POSITION. The file-name prefix is compared case-insensitively
(``Wafer_08012020_120000.csv`` matches a SampleFileName of ``wafer_…``); the date and time
stamps must be digits of exactly the declared lengths.
"""

import hashlib
import io
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from project_library.validation.csv_rows import FieldTooLarge, first_row, looks_binary
from project_library.validation.evidence import collect_evidence, field_too_large
from project_library.validation.findings import (
    MAX_EXAMPLES,
    FileCheck,
    Reason,
    clean_cell,
    marker_set,
    record_counts,
)

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "Reason",
    "FileCheck",
    "check_file_name",
    "clean_cell",
    "marker_set",
    "verify",
]

SNIFF_BYTES = 256 * 1024
MAX_HEADER_BYTES = 8 * 1024 * 1024
DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024
_OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def check_file_name(name, schema):
    prefix = schema.prefix
    pattern = re.compile(
        rf"^{re.escape(prefix)}_(\d{{{schema.date_length}}})_(\d{{{schema.time_length}}})\.csv$",
        re.IGNORECASE,
    )
    if pattern.match(name):
        return None
    stamps = re.match(r"^(.*?)_(\d+)_(\d+)\.csv$", name, re.IGNORECASE)
    if not name.lower().endswith(".csv"):
        detail = "it does not end in .csv"
    elif stamps and stamps.group(1).lower() != prefix.lower():
        detail = f"it starts with '{stamps.group(1)}', not '{prefix}'"
    elif stamps:
        detail = (
            f"its stamps have {len(stamps.group(2))} and {len(stamps.group(3))} digits, "
            f"not {schema.date_length} and {schema.time_length}"
        )
    else:
        detail = "it lacks the _date_time stamps"
    return Reason(
        "file_name",
        f"The file name does not follow the schema's pattern {schema.file_pattern()}: {detail}.",
        {
            "file_name": name,
            "expected_pattern": schema.file_pattern(),
            "prefix": prefix,
            "date_digits": schema.date_length,
            "time_digits": schema.time_length,
        },
    )


class _Tap(io.RawIOBase):
    """Replays a sniffed prefix, then the stream; hashes and counts every byte passing."""

    def __init__(self, stream, prefix=b""):
        self._stream = stream
        self._prefix = prefix
        self.hasher = hashlib.sha256(prefix)
        self.size = len(prefix)
        self._replay = memoryview(prefix)

    def readable(self):
        return True

    def read(self, size=-1):
        if self._replay:
            if size is None or size < 0:
                size = len(self._replay)
            chunk, self._replay = bytes(self._replay[:size]), self._replay[size:]
            return chunk
        data = self._stream.read() if size is None or size < 0 else self._stream.read(size)
        if data:
            self.hasher.update(data)
            self.size += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self, chunk=8 * 1024 * 1024):
        while self.read(chunk):
            pass


def _sniff(stream):
    head = stream.read(SNIFF_BYTES) or b""
    while b"\n" not in head and len(head) < MAX_HEADER_BYTES:
        more = stream.read(SNIFF_BYTES)
        if not more:
            break
        head += more
    return head


def verify(
    open_stream,
    name,
    schema,
    *,
    missing_markers,
    strict_headers=False,
    required_columns=(),
    block_size=DEFAULT_BLOCK_SIZE,
):
    """Check one file. ``open_stream()`` returns a fresh binary stream (a context manager).

    ``required_columns``: names that must hold at least one value (the target); any other
    column that is entirely missing is a warning, since a sensor that was off for one batch
    does not make the batch unusable.
    """
    required = set(required_columns)
    check = FileCheck()
    name_problem = check_file_name(name, schema)
    if name_problem:
        check.reasons.append(name_problem)
    markers = marker_set(missing_markers)
    with open_stream() as stream:
        head = _sniff(stream)
        tap = _Tap(stream, head)
        problem, header = _check_head(head, schema, strict_headers, check, required)
        if problem:
            check.reasons.append(problem)
            check.size = max(tap.size, len(head))
            return check
        needs_evidence = _fast_pass(tap, schema, markers, block_size, check, required)
        tap.drain()
        check.size, check.sha256 = tap.size, tap.hasher.hexdigest()
    if needs_evidence:
        with open_stream() as stream:
            collect_evidence(stream, schema, markers, check, required)
    _finish(check, schema)
    return check


def _check_head(head, schema, strict_headers, check, required=()):
    if not head:
        return Reason("empty_file", "The file is empty (0 bytes).", {"size": 0}), None
    if looks_binary(head):
        position = head.find(b"\0")
        return Reason(
            "not_text",
            "The file is not UTF-8 text (it looks binary, e.g. a spreadsheet renamed .csv).",
            {"first_bytes": head[:16].hex(" "), "nul_byte_at": position if position >= 0 else None},
        ), None
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    try:
        header = first_row(text)
    except FieldTooLarge as exc:
        return field_too_large(exc, None, schema), None
    expected = len(schema.columns)
    if len(header) <= 1 < expected:
        found = {sep: first_line.count(sep) for sep in _OTHER_SEPARATORS}
        separator = max(found, key=found.get)
        if found[separator]:
            return Reason(
                "not_comma_separated",
                f"The file is separated by {_OTHER_SEPARATORS[separator]}s, not commas.",
                {"separator": separator, "header": first_line[:200]},
            ), header
    if len(header) != expected:
        in_file = {_loose(h) for h in header}
        in_schema = {_loose(n) for n in schema.names}
        missing = [n for n in schema.names if _loose(n) not in in_file]
        extra = [h.strip() for h in header if h.strip() and _loose(h) not in in_schema]
        return Reason(
            "column_count",
            f"The file has {len(header)} columns; the schema declares {expected}."
            + _count_hint(header, missing, required, expected),
            {
                "expected": expected,
                "found": len(header),
                "schema_columns_not_in_header": missing[: MAX_EXAMPLES * 2],
                "header_columns_not_in_schema": extra[: MAX_EXAMPLES * 2],
            },
        ), header
    differences = [
        {"position": col.position, "schema": col.name, "file": cell}
        for col, cell in zip(schema.columns, header, strict=True)
        if cell.strip() != col.name
    ]
    if differences:
        reason = Reason(
            "header_names",
            f"{len(differences)} header name(s) differ from the schema; "
            + (
                "the project requires exact names."
                if strict_headers
                else "columns are matched by position, so the schema's names are used."
            ),
            {"count": len(differences), "differences": differences[: MAX_EXAMPLES * 2]},
        )
        if strict_headers:
            return reason, header
        check.warnings.append(reason)
    body = text[len(first_line) :].strip("\r\n")
    if not body and len(head) < SNIFF_BYTES:
        return Reason("no_rows", "The file has a header but no data rows.", {"rows": 0}), header
    return None, header


def _count_hint(header, missing, required, expected):
    """A likely cause, when the file is one column short and that column is the target."""
    lacking = [name for name in missing if name in required]
    if lacking and len(header) == expected - 1:
        return (
            f" Its header lacks the target '{lacking[0]}': is it a prediction batch in the "
            "training folder?"
        )
    return ""


def _loose(name):
    """A name as a person compares it: 'Sensor - 1' and 'sensor-1' are the same."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _arrow_types(schema):
    return {
        f"c{c.position}": pa.string() if c.type == "string" else pa.float64()
        for c in schema.columns
    }


def _fast_pass(tap, schema, markers, block_size, check, required):
    """Count rows and missing cells with a typed streaming parse; True when evidence is needed."""
    ragged = []

    def on_invalid_row(row):
        ragged.append(row)
        return "skip"

    names = [f"c{c.position}" for c in schema.columns]
    non_missing = [0] * len(names)
    decimals = {}
    string_positions = [i for i, c in enumerate(schema.columns) if c.type == "string"]
    integer_positions = [i for i, c in enumerate(schema.columns) if c.type == "integer"]
    marker_array = pa.array(sorted(markers), pa.string())
    try:
        reader = pacsv.open_csv(
            pa.PythonFile(tap, mode="r"),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=block_size),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types=_arrow_types(schema),
                null_values=sorted(markers),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        rows = 0
        for batch in reader:
            for i, column in enumerate(batch.columns):
                non_missing[i] += len(column) - column.null_count
            for i in string_positions:
                column = batch.column(i)
                cleaned = pc.utf8_trim_whitespace(column)
                hidden = pc.sum(pc.is_in(cleaned, value_set=marker_array)).as_py() or 0
                non_missing[i] -= hidden
            for i in integer_positions:
                column = batch.column(i)
                fractional = pc.not_equal(column, pc.floor(column))
                if pc.any(fractional).as_py():
                    found = decimals.setdefault(i, {"count": 0, "rows": [], "values": []})
                    indexes = pc.indices_nonzero(pc.fill_null(fractional, False)).to_pylist()
                    found["count"] += len(indexes)
                    for index in indexes[: MAX_EXAMPLES - len(found["rows"])]:
                        found["rows"].append(rows + index + 1)
                        found["values"].append(column[index].as_py())
            rows += batch.num_rows
    except pa.ArrowInvalid:
        return True
    if ragged:
        return True
    check.rows = rows
    record_counts(check, schema, non_missing, decimals, required)
    return False


def _finish(check, schema):
    codes = [r.code for r in check.reasons]
    if "no_rows" not in codes and check.rows == 0 and "not_text" not in codes:
        check.reasons.append(
            Reason("no_rows", "The file has a header but no data rows.", {"rows": 0})
        )
