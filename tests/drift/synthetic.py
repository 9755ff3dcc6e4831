"""A generated project for the drift tests and benchmark: 22 numeric and 8 categorical
features shaped like the input frame of a model (``prepare_features``: numeric float64 with
NaN, categorical text objects with NaN), covering the shapes drift must not trip over:
heavy tails, zero inflation, rare binary flags, small counts, bimodality, long-tailed labels
(a Zipf over 300 cities), more than 50 labels, and missing values.

The target depends on a handful of features (``INFORMATIVE``) and not at all on ``noise``.
"""

import numpy as np
import pandas as pd

NUMERIC = [
    "age", "income", "tenure", "score", "visits", "defaults", "balance", "temperature",
    "ratio", "returns", "children", "flag", *(f"m{i}" for i in range(1, 10)), "noise",
]  # fmt: skip
CATEGORICAL = ["region", "plan", "city", "device", "channel", "segment", "browser", "product"]
INFORMATIVE = ["age", "income", "score", "visits", "region", "plan", "m1"]
REGIONS = ["north", "south", "east", "west", "central", "islands"]


def _labels(rng, rows, labels, weights):
    weights = np.asarray(weights, dtype=float)
    return rng.choice(np.array(labels, dtype=object), rows, p=weights / weights.sum())


def _with_missing(rng, values, share):
    values = values.astype(object) if values.dtype == object else values.astype(float)
    values[rng.random(len(values)) < share] = np.nan
    return values


def _numeric(rng, rows):
    zero = rng.random(rows) < 0.7
    mixture = rng.random(rows) < 0.35
    columns = {
        "age": _with_missing(rng, rng.normal(41, 12, rows).round(), 0.01),
        "income": rng.lognormal(10.5, 0.8, rows),
        "tenure": rng.exponential(3.0, rows),
        "score": _with_missing(rng, rng.uniform(0, 100, rows), 0.01),
        "visits": rng.poisson(3.0, rows).astype(float),
        "defaults": (rng.random(rows) < 0.01).astype(float),
        "balance": np.where(zero, 0.0, rng.gamma(2.0, 800.0, rows)),
        "temperature": np.where(mixture, rng.normal(-5, 3, rows), rng.normal(18, 4, rows)),
        "ratio": rng.beta(2, 5, rows),
        "returns": rng.standard_t(3, rows),
        "children": _with_missing(rng, rng.poisson(1.2, rows).astype(float), 0.05),
        "flag": (rng.random(rows) < 0.4).astype(float),
    }
    for i in range(1, 10):
        columns[f"m{i}"] = rng.normal(i * 10.0, i, rows)
    columns["noise"] = rng.normal(0, 1, rows)
    return columns


def _categorical(rng, rows):
    cities = [f"city_{i:03d}" for i in range(300)]
    products = [f"p{i:02d}" for i in range(60)]
    return {
        "region": _labels(rng, rows, REGIONS, [30, 25, 20, 15, 8, 2]),
        "plan": _labels(rng, rows, ["basic", "plus", "pro"], [60, 30, 10]),
        "city": _labels(rng, rows, cities, 1 / np.arange(1, 301) ** 1.1),
        "device": _labels(rng, rows, ["mobile", "desktop", "tablet", "None"], [55, 35, 8, 2]),
        "channel": _labels(rng, rows, [f"ch{i}" for i in range(12)], np.arange(12, 0, -1)),
        "segment": _labels(rng, rows, ["consumer", "business"], [80, 20]),
        "browser": _with_missing(
            rng, _labels(rng, rows, [f"b{i}" for i in range(20)], np.ones(20)), 0.02
        ),
        "product": _labels(rng, rows, products, np.linspace(3, 1, 60)),
    }


def features(rows, seed=0):
    """``rows`` rows of the generated project's input frame."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({**_numeric(rng, rows), **_categorical(rng, rows)})
    for column in CATEGORICAL:
        frame[column] = frame[column].astype(object)
    return frame


def target(frame, seed=0):
    """A binary target driven by ``INFORMATIVE`` (and not by ``noise``)."""
    rng = np.random.default_rng(seed + 1)
    logit = (
        0.06 * (frame["age"].fillna(41) - 41)
        + 0.9 * (np.log(frame["income"]) - 10.5)
        + 0.03 * (frame["score"].fillna(50) - 50)
        + 0.3 * (frame["visits"] - 3)
        + frame["region"].map({"north": 1.0, "south": -1.0, "east": 0.5}).fillna(0.0)
        + frame["plan"].map({"pro": 1.5, "plus": 0.5}).fillna(0.0)
        + 0.8 * (frame["m1"] - 10)
    )
    return np.where(rng.random(len(frame)) < 1 / (1 + np.exp(-logit)), "yes", "no")
