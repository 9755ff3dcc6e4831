"""Keep what a figure draws small: thinned curves, sampled points, JSON-safe numbers.

A curve keeps at most ``CURVE_POINTS`` points spread evenly along its length (so the steep
parts of a ROC curve keep their detail), and a scatter plot at most ``SCATTER_POINTS`` rows
drawn at random with a fixed seed: each point costs about 90 bytes of SVG, and 1,000 points
show the shape of 10,000 as well. Numbers in a figure's data are rounded to 6 significant
digits, with NaN and infinities as ``None``, so ``json.dumps(..., allow_nan=False)`` accepts
them.
"""

import math

import numpy as np

CURVE_POINTS = 300
SCATTER_POINTS = 1_000


def thin_curve(x, y, limit=CURVE_POINTS):
    """(x, y) with at most ``limit`` points, evenly spaced along the curve, ends kept."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) <= limit:
        return x, y
    span_x = np.ptp(x) or 1.0
    span_y = np.ptp(y) or 1.0
    steps = np.hypot(np.diff(x) / span_x, np.diff(y) / span_y)
    walked = np.concatenate([[0.0], np.cumsum(steps)])
    targets = np.linspace(0.0, walked[-1], limit)
    chosen = np.unique(np.clip(np.searchsorted(walked, targets), 0, len(x) - 1))
    chosen[0], chosen[-1] = 0, len(x) - 1
    return x[chosen], y[chosen]


def sample_rows(rows, limit=SCATTER_POINTS, seed=0):
    """Sorted indices of at most ``limit`` of ``rows`` rows, the same ones every time."""
    if rows <= limit:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))


def number(value, digits=6):
    """A float rounded to ``digits`` significant digits, or None when not finite."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def numbers(values, digits=6):
    return [number(v, digits) for v in np.asarray(values, dtype=float).ravel()]
