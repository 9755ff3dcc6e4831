"""The reference profile saved with every model version: what "the training data" looked like.

``build_profile`` takes the model's input frame (``prepare_features``: numeric columns float64
with NaN, categorical columns text with NaN) and draws a fixed random sample of at most
``SAMPLE_ROWS`` rows (``random_state``), the reference every check compares against. Per
feature it keeps what the statistics need and nothing more (see ``numeric`` and
``categorical``): the missing count, a percentile-grid histogram or the label counts with an
"other" bucket beyond the top 50, and for labels the full list of those training knew. The
sample's rows themselves are not stored: every statistic and its calibration is a function of
those counts, about 1.2 KB per numeric feature (a few KB for a label list), where the 20,000
sampled values of one column, at 6 significant digits, would take 180 KB. A 30-feature
profile is about 36 KB.

The profile also carries the permutation-importance weights (``Importance.weights()``) and
the distribution of the model's predictions on its held-out rows (``reference_predictions``).
It is plain JSON: ints, finite floats, strings, lists, dicts and null.
"""

import numpy as np

from project_library.drift import categorical as categorical_kind
from project_library.drift import numeric as numeric_kind
from project_library.drift.predictions import normalised
from project_library.drift.values import numbers

VERSION = 1
SAMPLE_ROWS = 20_000


def build_profile(features, numeric, categorical, *, predictions, weights, random_state=0):
    """The JSON-ready reference profile of ``features`` (see the module docstring).

    ``predictions``: ``reference_predictions`` of the held-out rows (or None); ``weights``:
    feature -> share of the permutation importance (or None: every feature counts).
    """
    rows = len(features)
    sampled = features
    if rows > SAMPLE_ROWS:
        chosen = np.random.default_rng(random_state).choice(rows, SAMPLE_ROWS, replace=False)
        sampled = features.iloc[np.sort(chosen)]
    summaries = [
        {"name": name, **numeric_kind.summarise(numbers(sampled[name]))} for name in numeric
    ]
    for name in categorical:
        everything = features[name] if sampled is not features else None
        summaries.append({"name": name, **categorical_kind.summarise(sampled[name], everything)})
    return {
        "version": VERSION,
        "rows": rows,
        "sample_rows": len(sampled),
        "random_state": random_state,
        "features": summaries,
        "weights": _weights(weights, [s["name"] for s in summaries]),
        "predictions": normalised(predictions),
    }


def _weights(weights, names):
    if weights is None:
        return None
    known = set(names)
    return {
        str(name): float(share) if np.isfinite(share) else 0.0
        for name, share in weights.items()
        if name in known
    }
