"""Sample CSVs read for a schema: a proposal from the start of a sample file (its header, and
a type guessed from the values seen per column), and the target's values for inferring the
task. Reading goes through ``csv_rows``, so binary bytes and over-long fields are refused in
words."""

import io
import re

from project_library.validation.csv_rows import FieldTooLarge, looks_binary, rows
from project_library.validation.schema import STAMPED_NAME, SchemaError, schema_from_columns


def target_values(open_stream, position, limit=5000):
    """Up to ``limit`` non-missing values of the column at ``position`` (0-based).

    A hint for inferring the task: reading stops early, with the values seen so far, at a
    field too large for the csv module (the file's own check reports it).
    """
    values = []
    with open_stream() as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        reader = rows(text)
        try:
            next(reader, None)
            for index, row in enumerate(reader):
                if index >= limit:
                    break
                if len(row) > position:
                    value = row[position].strip().strip("'")
                    if value and value not in ("NULL", "?", "na", "NA"):
                        values.append(value)
        except FieldTooLarge:
            pass
    return values


def propose_schema(
    sample_bytes, file_name, missing_markers=("", "NULL", "NA", "na", "?"), max_rows=5000
):
    """Propose a schema (and the column values seen) from the start of a sample CSV."""
    if looks_binary(sample_bytes):
        raise SchemaError(
            [
                "The sample file is not UTF-8 CSV text (it looks binary, e.g. a spreadsheet "
                "renamed .csv): save it as CSV and try again."
            ]
        )
    text = sample_bytes.decode("utf-8-sig", errors="replace")
    header, seen = _sample_values(text, set(missing_markers), max_rows)
    if len(header) < 1 or not any(h.strip() for h in header):
        raise SchemaError(["The sample file has no header row."])
    names, taken = [], set()
    for position, name in enumerate(header, start=1):
        name = name.strip() or f"column_{position}"
        while name in taken:
            name = f"{name}_{position}"
        names.append(name)
        taken.add(name)
    match = STAMPED_NAME.match(file_name or "")
    if match:
        sample, date_len, time_len = file_name, len(match["date"]), len(match["time"])
    else:
        stem = re.sub(r"\.csv$", "", file_name or "batch", flags=re.IGNORECASE)
        stem = re.sub(r"[^A-Za-z0-9-]+", "_", stem).strip("_") or "batch"
        sample, date_len, time_len = f"{stem}_01012024_120000.csv", 8, 6
    rows = [
        {"name": name, "type": _guess_type(values), "position": position}
        for position, (name, values) in enumerate(zip(names, seen, strict=True), start=1)
    ]
    schema = schema_from_columns(sample, date_len, time_len, rows)
    return schema, {name: values for name, values in zip(names, seen, strict=True)}


def _sample_values(text, markers, max_rows):
    """(header, the non-missing values seen per column) of the first ``max_rows`` rows."""
    reader = rows(io.StringIO(text, newline=""))
    header, row_number = None, 0
    try:
        header = next(reader, None)
        if header is None:
            raise SchemaError(["The sample file is empty."])
        seen = [[] for _ in header]
        for row_number, row in enumerate(reader, start=1):
            if row_number > max_rows:
                break
            for position, value in enumerate(row[: len(header)]):
                value = value.strip().strip("'")
                if value not in markers:
                    seen[position].append(value)
    except FieldTooLarge as exc:
        where = "Its header" if header is None else f"Its data row {row_number + 1}"
        raise SchemaError([f"{where}: {exc.message}"]) from None
    return header, seen


def _guess_type(values):
    if not values:
        return "float"
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return "varchar"
    if all(n.is_integer() for n in numbers) and not any("." in v for v in values):
        return "Integer"
    return "float"
