"""A column's values as drift reads them, the same way when profiling and when checking.

Numeric columns become float64 arrays; anything that is not a finite number (NaN, None, +-inf,
text that does not parse) counts as missing, so an overflowing sensor shows up as a missing
rate change rather than an infinite distance. Categorical columns become counts per label,
labels as text (``5`` and ``"5"`` are one category, as they are once written to CSV);
counting distinct values once keeps a million-row column cheap.
"""

import numpy as np
import pandas as pd


def numbers(column):
    """A float64 array (no copy when it already is one); text that is not a number is NaN.

    Callers treat every value that is not finite as missing (``np.isfinite``).
    """
    if column.dtype == "float64":
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def label_counts(column):
    """Rows per label (text), most frequent first, ties in label order; missing left out."""
    counts = column.value_counts(dropna=True)
    counts = counts[counts > 0]
    if pd.api.types.infer_dtype(counts.index, skipna=False) != "string":
        counts.index = counts.index.map(str)
        counts = counts.groupby(level=0).sum()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return counts.astype("int64")
