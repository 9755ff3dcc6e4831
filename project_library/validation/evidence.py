"""The second, row-by-row reading of a file the fast parse could not take: it finds the
rows and values a person needs to see (ragged rows, values of the wrong type)."""

import csv
import io

from project_library.validation.findings import (
    MAX_COLUMN_REASONS,
    MAX_EXAMPLES,
    Reason,
    clean_cell,
    record_counts,
)


def collect_evidence(stream, schema, markers, check, required):
    """Read row by row and collect evidence: ragged rows and values of the wrong type."""
    expected = len(schema.columns)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text)
    non_missing = [0] * expected
    bad = {}
    decimals = {}
    ragged = {"count": 0, "rows": [], "found": []}
    numeric = [i for i, c in enumerate(schema.columns) if c.type != "string"]
    rows = 0
    try:
        next(reader, None)
        for row in reader:
            if not row:
                continue
            rows += 1
            if len(row) != expected:
                ragged["count"] += 1
                if len(ragged["rows"]) < MAX_EXAMPLES:
                    ragged["rows"].append(rows)
                    ragged["found"].append(len(row))
                continue
            for i, value in enumerate(row):
                if value in markers or clean_cell(value) in markers:
                    continue
                non_missing[i] += 1
            for i in numeric:
                value = row[i]
                if value in markers:
                    continue
                cleaned = clean_cell(value)
                if cleaned in markers:
                    continue
                try:
                    number = float(cleaned)
                except ValueError:
                    found = bad.setdefault(i, {"count": 0, "rows": [], "values": []})
                    found["count"] += 1
                    if len(found["rows"]) < MAX_EXAMPLES:
                        found["rows"].append(rows)
                        found["values"].append(value[:80])
                    continue
                if schema.columns[i].type == "integer" and not number.is_integer():
                    found = decimals.setdefault(i, {"count": 0, "rows": [], "values": []})
                    found["count"] += 1
                    if len(found["rows"]) < MAX_EXAMPLES:
                        found["rows"].append(rows)
                        found["values"].append(number)
    except UnicodeDecodeError:
        check.reasons.append(
            Reason(
                "not_text",
                f"The file stops being UTF-8 text after data row {rows}.",
                {"after_row": rows},
            )
        )
        check.rows = rows
        return
    check.rows = rows
    if ragged["count"]:
        listed = ", ".join(map(str, ragged["rows"]))
        more = "…" if ragged["count"] > MAX_EXAMPLES else ""
        check.reasons.append(
            Reason(
                "ragged_rows",
                f"{ragged['count']} row(s) do not have {expected} fields "
                f"(data rows {listed}{more}).",
                {"expected": expected, **ragged},
            )
        )
    for n, (i, found) in enumerate(sorted(bad.items())):
        if n == MAX_COLUMN_REASONS:
            check.reasons.append(
                Reason(
                    "type_mismatch",
                    f"{len(bad) - MAX_COLUMN_REASONS} more column(s) also hold values of the "
                    "wrong type.",
                    {"columns": [schema.columns[j].name for j, _ in sorted(bad.items())[n:]]},
                )
            )
            break
        col = schema.columns[i]
        shown = ", ".join(repr(v) for v in found["values"][:3])
        check.reasons.append(
            Reason(
                "type_mismatch",
                f"Column '{col.name}' (position {col.position}) is declared {col.type} but "
                f"{found['count']} value(s) are not numbers, e.g. {shown}.",
                {"column": col.name, "position": col.position, "type": col.type, **found},
            )
        )
    record_counts(check, schema, non_missing, decimals, required)
