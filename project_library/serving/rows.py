"""Rows sent to the prediction endpoint, checked against the project's prediction schema with
the rules batch files follow, and shaped into the table a batch prediction would load.

Two body shapes: ``{"rows": [{"col": value, ...}, ...]}`` and MLflow's ``dataframe_split``,
``{"columns": [...], "data": [[...], ...]}``. Every schema column must be there and no other;
a numeric column takes numbers or numeric text (spaces and single quotes around it are fine,
as in batch files); the project's missing markers and ``null`` are missing values. Every
problem is located by row (1-based) and column; nothing is predicted for a request with any.
"""

import json
import math

import numpy as np
import pandas as pd

from exception_layer.errors import UnprocessableEntity
from project_library.validation.findings import clean_cell, marker_set

MAX_PROBLEMS = 100


def parse_json(raw):
    """The body as JSON; NaN, Infinity and absurd nesting are refused in words."""

    def refuse_constant(name):
        raise ValueError(f"{name} is not valid JSON; send null for a missing value")

    try:
        return json.loads(raw, parse_constant=refuse_constant)
    except RecursionError:
        raise _invalid("The JSON body is nested too deeply.") from None
    except UnicodeDecodeError:
        raise _invalid("The body is not UTF-8 text.") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError, and so is refuse_constant's
        raise _invalid(f"The body is not valid JSON: {_first_line(exc)}.") from None


def records(body):
    """(column names as sent, list of row value lists) from either body shape."""
    if not isinstance(body, dict):
        raise _invalid('Send a JSON object: {"rows": [...]} or {"columns": [...], "data": [...]}.')
    if "rows" in body:
        rows = body["rows"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise _invalid("'rows' must be a list of objects, one per row.")
        columns = list(dict.fromkeys(name for row in rows for name in row))
        return columns, rows
    if "columns" in body and "data" in body:
        columns, data = body["columns"], body["data"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise _invalid("'columns' must be a list of column names.")
        if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
            raise _invalid("'data' must be a list of rows, each a list of values.")
        problems = [
            _problem(i, None, f"has {len(r)} value(s); 'columns' names {len(columns)}")
            for i, r in enumerate(data, start=1)
            if len(r) != len(columns)
        ]
        _raise_if(problems)
        return columns, [dict(zip(columns, r, strict=True)) for r in data]
    raise _invalid('Send {"rows": [...]} or {"columns": [...], "data": [...]}.')


def table(body, schema, missing_markers, max_rows):
    """The rows as a DataFrame named and typed by the schema, or UnprocessableEntity."""
    columns, rows = records(body)
    if not rows:
        raise _invalid("Send at least one row.")
    if len(rows) > max_rows:
        raise _invalid(f"At most {max_rows} rows per request; this one has {len(rows)}.")
    names = schema.names
    problems = [
        _problem(None, c, "is not in the prediction schema") for c in columns if c not in set(names)
    ]
    markers = marker_set(missing_markers)
    values = {name: [] for name in names}
    for number, row in enumerate(rows, start=1):
        for column in schema.columns:
            if column.name not in row:
                problems.append(_problem(number, column.name, "is missing"))
                continue
            value, problem = _cell(row[column.name], column.type, markers)
            if problem:
                problems.append(_problem(number, column.name, problem))
            values[column.name].append(value)
    _raise_if(problems)
    return pd.DataFrame(
        {
            c.name: pd.Series(values[c.name], dtype="float64" if c.type != "string" else object)
            for c in schema.columns
        }
    )


def _cell(value, kind, markers):
    """(the value as a batch file's table holds it, or a problem in words)."""
    if value is None:
        return (np.nan if kind != "string" else None), None
    if isinstance(value, (dict, list)):
        return None, "must be a single value, not a list or an object"
    if kind == "string":
        text = value if isinstance(value, str) else json.dumps(value)
        cleaned = clean_cell(text)
        return (None if text in markers or cleaned in markers else cleaned), None
    if isinstance(value, bool):
        return np.nan, f"is declared {kind} but holds {json.dumps(value)}"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return np.nan, "must be a finite number"
        return float(value), None
    cleaned = clean_cell(value)
    if value in markers or cleaned in markers:
        return np.nan, None
    try:
        number = float(cleaned)
    except ValueError:
        return np.nan, f"is declared {kind} but holds {value[:40]!r}, not a number"
    if not math.isfinite(number):
        return np.nan, "must be a finite number"
    return number, None


def _problem(row, column, what):
    parts = [f"Row {row}" if row else "", f"column '{column}'" if column else ""]
    where = " ".join(part for part in parts if part)
    return {"row": row, "column": column, "message": f"{where[:1].upper()}{where[1:]} {what}."}


def _raise_if(problems):
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        message = f"{len(problems)} problem(s) in the rows; nothing was predicted. " + " ".join(
            p["message"] for p in shown[:3]
        )
        raise UnprocessableEntity(
            message + (" …" if len(problems) > 3 else ""),
            details={"problems": shown, "more": more},
        )


def _invalid(message):
    return UnprocessableEntity(message, details={"problems": []})


def _first_line(exc):
    return str(exc).splitlines()[0][:200]
