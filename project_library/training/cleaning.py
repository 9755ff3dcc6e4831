"""Turn a loaded table into model-ready features: decide which columns to keep and why.

The table comes from intake's ``load_table``: columns named by the schema, missing markers
already NaN, plus ``_source_file`` and ``_row``. Nothing here reads or writes storage.
"""

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from exception_layer.errors import ValidationError
from project_library.training.metrics import is_classification

logger = logging.getLogger(__name__)

META_COLUMNS = ("_source_file", "_row")
# A text column whose values are all distinct is a row identifier, not a feature.
IDENTIFIER_MIN_ROWS = 50
NUMERIC_LIKE_SHARE = 0.98


@dataclass
class CleanTable:
    features: pd.DataFrame
    target: pd.Series
    numeric_columns: list
    categorical_columns: list
    dropped: dict = field(default_factory=dict)
    groups: np.ndarray | None = None
    sources: np.ndarray | None = None  # each row's batch file, when the table says
    rows_in: int = 0
    rows_without_target: int = 0
    duplicate_rows: int = 0


def is_text(series):
    return (
        pd.api.types.is_string_dtype(series)
        or pd.api.types.is_object_dtype(series)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def _numeric_like(series):
    values = series.dropna()
    if values.empty:
        return False
    converted = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    return converted.notna().mean() >= NUMERIC_LIKE_SHARE


def as_text(series):
    """Text values as plain Python objects with NaN for missing (pandas 3 gives `str` dtype)."""
    text = series.astype("string").str.strip()  # vectorised: no Python call per value
    return text.astype("object").where(text.notna(), np.nan)


def as_number(series):
    if series.dtype == "float64":  # already numbers (a loaded batch, a prediction request)
        return series
    if is_text(series):
        series = series.astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
    return pd.to_numeric(series, errors="coerce").astype("float64")


def clean_target(series, task):
    if is_classification(task):
        if is_text(series):
            values = as_text(series)
            numeric = pd.to_numeric(values, errors="coerce")
            if numeric.notna().all() and (numeric == numeric.round()).all():
                return numeric.astype("int64")
            return values.astype(str)
        numeric = pd.to_numeric(series, errors="coerce")
        if (numeric == numeric.round()).all():
            return numeric.astype("int64")
        return numeric
    numeric = as_number(series)
    if numeric.isna().any():
        raise ValidationError(
            f"The target column '{series.name}' holds values that are not numbers; "
            "a regression project needs a numeric target."
        )
    return numeric


def choose_columns(frame, *, target, ignore_columns=(), id_columns=()):
    """Return (numeric, categorical, dropped) where dropped maps a column to the reason."""
    dropped = {}
    numeric, categorical = [], []
    ignore = set(ignore_columns or ())
    ids = set(id_columns or ())
    for column in frame.columns:
        if column in META_COLUMNS or column == target:
            continue
        series = frame[column]
        if column in ignore:
            dropped[column] = "ignored by the project settings"
        elif column in ids:
            dropped[column] = "identifier column"
        elif series.isna().all():
            dropped[column] = "entirely empty"
        elif series.nunique(dropna=True) <= 1:
            dropped[column] = "constant"
        elif is_text(series) and not _numeric_like(series):
            distinct = series.nunique(dropna=True)
            if len(series) >= IDENTIFIER_MIN_ROWS and distinct == series.notna().sum():
                dropped[column] = "every value distinct (looks like an identifier)"
            else:
                categorical.append(column)
        else:
            numeric.append(column)
    return numeric, categorical, dropped


def prepare_features(frame, numeric_columns, categorical_columns):
    """The model's input frame: numeric columns as float, categoricals as text objects."""
    missing = [c for c in (*numeric_columns, *categorical_columns) if c not in frame.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise ValidationError(
            f"The data lacks {len(missing)} column(s) the model was trained on: {shown}."
        )
    out = {}
    for column in numeric_columns:
        out[column] = as_number(frame[column])
    for column in categorical_columns:
        out[column] = as_text(frame[column])
    return pd.DataFrame(out, index=frame.index)


def clean_training_table(frame, *, task, target, ignore_columns=(), id_columns=()):
    if target not in frame.columns:
        raise ValidationError(f"The target column '{target}' is not in the training data.")
    rows_in = len(frame)
    labelled = frame[frame[target].notna()]
    if is_text(frame[target]):
        labelled = labelled[as_text(labelled[target]).fillna("").astype(str) != ""]
    rows_without_target = rows_in - len(labelled)
    if labelled.empty:
        raise ValidationError(f"No training row has a value in the target column '{target}'.")
    y = clean_target(labelled[target], task)
    if is_classification(task) and y.nunique() < 2:
        raise ValidationError(
            f"The target column '{target}' holds a single class; training needs at least two."
        )
    numeric, categorical, dropped = choose_columns(
        labelled, target=target, ignore_columns=ignore_columns, id_columns=id_columns
    )
    if not numeric and not categorical:
        raise ValidationError("No usable feature column is left after cleaning.")
    X = prepare_features(labelled, numeric, categorical)
    # Duplicates across files: keep one copy of each (features, target) row, and give rows
    # with identical features one group so they always land on the same side of a split.
    row_hash = pd.util.hash_pandas_object(X.assign(__target=y.values), index=False)
    keep = ~row_hash.duplicated().to_numpy()
    duplicate_rows = int((~keep).sum())
    X = X[keep].reset_index(drop=True)
    y = y[keep].reset_index(drop=True)
    groups = pd.factorize(pd.util.hash_pandas_object(X, index=False))[0]
    sources = None
    if "_source_file" in labelled.columns:
        sources = labelled["_source_file"].astype(str).to_numpy()[keep]
    return CleanTable(
        features=X,
        target=y,
        numeric_columns=numeric,
        categorical_columns=categorical,
        dropped=dropped,
        groups=groups,
        sources=sources,
        rows_in=rows_in,
        rows_without_target=rows_without_target,
        duplicate_rows=duplicate_rows,
    )
