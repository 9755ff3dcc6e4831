"""The second, row-by-row reading of a file the fast parse could not take: it finds the
rows and values a person needs to see (ragged rows, values of the wrong type)."""

import io
from dataclasses import dataclass, field

from project_library.validation.csv_rows import FieldTooLarge, rows
from project_library.validation.findings import (
    MAX_COLUMN_REASONS,
    MAX_EXAMPLES,
    Reason,
    clean_cell,
    record_counts,
)


@dataclass
class _Scan:
    """What one row-by-row pass counted."""

    columns: int
    rows: int = 0
    non_missing: list = field(default_factory=list)
    bad: dict = field(default_factory=dict)  # column index -> count, rows, values
    decimals: dict = field(default_factory=dict)  # column index -> count, rows, values
    ragged: dict = field(default_factory=lambda: {"count": 0, "rows": [], "found": []})

    def __post_init__(self):
        self.non_missing = [0] * self.columns


def _note(found, index, row, value):
    entry = found.setdefault(index, {"count": 0, "rows": [], "values": []})
    entry["count"] += 1
    if len(entry["rows"]) < MAX_EXAMPLES:
        entry["rows"].append(row)
        entry["values"].append(value)


def _scan_row(scan, row, schema, markers, numeric):
    if len(row) != scan.columns:
        scan.ragged["count"] += 1
        if len(scan.ragged["rows"]) < MAX_EXAMPLES:
            scan.ragged["rows"].append(scan.rows)
            scan.ragged["found"].append(len(row))
        return
    for i, value in enumerate(row):
        if value not in markers and clean_cell(value) not in markers:
            scan.non_missing[i] += 1
    for i in numeric:
        value = row[i]
        cleaned = value if value in markers else clean_cell(value)
        if cleaned in markers:
            continue
        try:
            number = float(cleaned)
        except ValueError:
            _note(scan.bad, i, scan.rows, value[:80])
            continue
        if schema.columns[i].type == "integer" and not number.is_integer():
            _note(scan.decimals, i, scan.rows, number)


def _type_reasons(scan, schema):
    reasons = []
    for n, (i, found) in enumerate(sorted(scan.bad.items())):
        if n == MAX_COLUMN_REASONS:
            rest = [schema.columns[j].name for j, _ in sorted(scan.bad.items())[n:]]
            reasons.append(
                Reason(
                    "type_mismatch",
                    f"{len(scan.bad) - MAX_COLUMN_REASONS} more column(s) also hold values of "
                    "the wrong type.",
                    {"columns": rest},
                )
            )
            break
        col = schema.columns[i]
        shown = ", ".join(repr(v) for v in found["values"][:3])
        reasons.append(
            Reason(
                "type_mismatch",
                f"Column '{col.name}' (position {col.position}) is declared {col.type} but "
                f"{found['count']} value(s) are not numbers, e.g. {shown}.",
                {"column": col.name, "position": col.position, "type": col.type, **found},
            )
        )
    return reasons


def field_too_large(error, row, schema):
    """The rejection of a file with a field over the csv limit at ``row`` (None: the header)."""
    position = error.column
    where = "The header" if row is None else f"Data row {row}"
    if position <= len(schema.columns):
        where += f", column {position} ('{schema.columns[position - 1].name}'),"
    else:
        where += f", column {position},"
    return Reason(
        "field_too_large",
        f"{where} holds a field longer than {error.details['limit']:,} characters, the most a "
        "CSV field may hold here: is a quote left open?",
        {"row": row, **error.details},
    )


def collect_evidence(stream, schema, markers, check, required):
    """Read row by row and collect evidence: ragged rows and values of the wrong type."""
    scan = _Scan(columns=len(schema.columns))
    numeric = [i for i, c in enumerate(schema.columns) if c.type != "string"]
    reader = rows(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    header_read = False
    try:
        next(reader, None)
        header_read = True
        for row in reader:
            if row:
                scan.rows += 1
                _scan_row(scan, row, schema, markers, numeric)
    except FieldTooLarge as exc:
        check.reasons.append(field_too_large(exc, scan.rows + 1 if header_read else None, schema))
        check.rows = scan.rows
        return
    except UnicodeDecodeError:
        check.reasons.append(
            Reason(
                "not_text",
                f"The file stops being UTF-8 text after data row {scan.rows}.",
                {"after_row": scan.rows},
            )
        )
        check.rows = scan.rows
        return
    check.rows = scan.rows
    if scan.ragged["count"]:
        listed = ", ".join(map(str, scan.ragged["rows"]))
        more = "…" if scan.ragged["count"] > MAX_EXAMPLES else ""
        check.reasons.append(
            Reason(
                "ragged_rows",
                f"{scan.ragged['count']} row(s) do not have {scan.columns} fields "
                f"(data rows {listed}{more}).",
                {"expected": scan.columns, **scan.ragged},
            )
        )
    check.reasons.extend(_type_reasons(scan, schema))
    record_counts(check, schema, scan.non_missing, scan.decimals, required)
