"""Histogram bins for predicted values, and moving counts from one set of bins to another.

Bins are equal-width between the smallest and the largest value, at most ``MAX_BINS``
(numpy's "auto" rule, capped). Arithmetic is done in units of the largest magnitude so values
near the float limit cannot overflow; values beyond the ends of a set of edges are counted in
its end bins, the same rule ``rebin`` applies to a batch summarised on other edges.
"""

import math

import numpy as np

MAX_BINS = 30


def bin_edges(values):
    """Strictly increasing finite edges spanning ``values`` (finite, not empty)."""
    low, high = float(values.min()), float(values.max())
    if low == high:
        half = max(abs(low) * 1e-6, 0.5)
        edges = np.array([low - half, low + half])
        return np.where(np.isfinite(edges), edges, low)
    # Work in units of the largest magnitude, so spans near the float limit cannot overflow.
    scale = max(abs(low), abs(high))
    scaled = values / scale
    edges = np.linspace(low / scale, high / scale, bin_count(scaled) + 1) * scale
    edges[0], edges[-1] = low, high
    return np.unique(edges)


def bin_count(values):
    """Freedman-Diaconis or Sturges bins, whichever is more (numpy's "auto"), capped."""
    rows = len(values)
    sturges = math.ceil(math.log2(rows)) + 1 if rows > 1 else 1
    spread = float(np.subtract(*np.percentile(values, [75, 25])))
    width = 2 * spread / rows ** (1 / 3)
    span = float(values.max() - values.min())
    fd = math.ceil(min(span / width, MAX_BINS)) if width > 0 else 0  # span/width may be inf
    return int(min(MAX_BINS, max(sturges, fd, 1)))


def bin_of(edges, values):
    """The bin of each value (the last bin includes its right edge; beyond the ends: end bins)."""
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


def counts_on(edges, values):
    """Counts of ``values`` in the bins of ``edges``."""
    return np.bincount(bin_of(edges, values), minlength=len(edges) - 1)


def rebin(batch, edges):
    """(counts, share of rows outside ``edges``): a numeric batch spread onto ``edges``.

    Each batch bin's rows are spread evenly over its width; rows below the first or above the
    last edge are added to the end bins.
    """
    source = np.asarray(batch.get("edges") or [], dtype=float)
    counts = np.asarray(batch.get("counts") or [], dtype=float)
    target = np.asarray(edges, dtype=float)
    if len(source) < 2 or len(target) < 2 or counts.sum() <= 0:
        return np.zeros(max(len(target) - 1, 0)), 0.0
    scale = float(max(np.abs(source).max(), np.abs(target).max())) or 1.0
    share, below, above = overlap_shares(source / scale, target / scale)
    spread = counts @ share
    spread[0] += counts @ below
    spread[-1] += counts @ above
    return spread, float(counts @ (below + above) / counts.sum())


def overlap_shares(source, target):
    """Per source bin: its share in each target bin, below the first and above the last edge.

    A zero-width source bin puts everything where its edge falls.
    """
    low, high = source[:-1, None], source[1:, None]
    width = (high - low)[:, 0]
    overlap = np.clip(
        np.minimum(high, target[None, 1:]) - np.maximum(low, target[None, :-1]), 0, None
    )
    below = np.clip(np.minimum(high[:, 0], target[0]) - low[:, 0], 0, None)
    above = np.clip(high[:, 0] - np.maximum(low[:, 0], target[-1]), 0, None)
    wide = width > 0
    safe = np.where(wide, width, 1.0)
    share, below, above = overlap / safe[:, None], below / safe, above / safe
    for row in np.flatnonzero(~wide):
        point = low[row, 0]
        share[row] = 0.0
        below[row], above[row] = float(point < target[0]), float(point > target[-1])
        if target[0] <= point <= target[-1]:
            share[row, bin_of(target, point)] = 1.0
    return share, below, above
