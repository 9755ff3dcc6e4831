"""A numeric feature: how the reference is summarised, and how a batch is compared with it.

The summary is a histogram on the reference's own percentile grid (0.5%, 2%, 4%, ..., 98%,
99.5%; the edges are observed values and repeated ones collapse, so a 0/1 column has two
bins and a count column one bin per frequent value), plus the missing count and a robust
spread (IQR / 1.349, else the standard deviation). About 50 edges and counts replace the raw
training values: every statistic below is a function of counts on that grid, exactly, so
storing rows would buy nothing but megabytes. (A finer grid would see smaller moves, all
below the practical floor, and double the cost of the calibration.)

A batch is binned with one ``searchsorted`` on the grid. Two statistics decide:

- the Wasserstein distance between the binned distributions divided by the spread, which
  sees how far mass moved (a shifted mean, a wider spread); values beyond the 0.5-99.5%
  range are clipped to it, so one wild outlier cannot dominate;
- the PSI on the ten decile bins, which sees shape changes the clipped distance cannot, such
  as a column that was 99.6% zeros arriving 10% non-zero.

The KS p-value of the largest CDF gap on the grid is reported for information. A batch of
more than ``DISTRIBUTION_ROWS`` rows is compared through a uniform random subset of that many
rows, shared by all numeric columns (the missing rate still counts every row): its sampling
error is below a tenth of the practical floors, the thresholds are calibrated at exactly the
subset's size, and it keeps a million-row check well under the cost of predicting it.
"""

import numpy as np

from project_library.drift import statistics as st
from project_library.drift.calibration import null_draws, tail_threshold, threshold
from project_library.drift.missing import missing_rate
from project_library.drift.report import FeatureDrift, histogram, interval_labels

GRID = np.round(np.r_[0.005, np.arange(1, 50) / 50, 0.995], 3)
DECILES = np.flatnonzero(np.isin(GRID, np.round(np.arange(1, 10) / 10, 3)))
# Larger magnitudes are clipped (on both sides) so that spacings and spreads stay finite.
LIMIT = 1e150
DISTRIBUTION_ROWS = 100_000


def summarise(values):
    """The reference summary of one numeric column (a float array, NaN/inf = missing)."""
    finite = np.clip(values[np.isfinite(values)], -LIMIT, LIMIT)
    summary = {"kind": "numeric", "rows": len(values), "missing": len(values) - len(finite)}
    if not len(finite):
        return {**summary, "edges": [], "counts": [0], "psi_edges": [], "scale": 1.0}
    quantiles = np.quantile(finite, GRID, method="inverted_cdf")  # edges are observed values
    edges = np.unique(quantiles)
    counts = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=len(edges) + 1)
    return {
        **summary,
        "edges": edges.tolist(),
        "counts": counts.tolist(),
        "psi_edges": np.unique(quantiles[DECILES]).tolist(),
        "scale": _spread(finite),
    }


def _spread(finite):
    """IQR / 1.349, else the standard deviation, never below a trillionth of the range."""
    low, high = np.quantile(finite, [0.25, 0.75])
    with np.errstate(over="ignore", invalid="ignore"):
        spread = (high - low) / 1.349 if high > low else float(np.std(finite))
    floor = (finite.max() - finite.min()) * 1e-12
    return float(max(spread, floor)) if 0 < spread < np.inf else float(max(floor, 1.0))


def distribution_rows(rows, rng):
    """Row positions the distributions are compared on, or None for every row."""
    if rows <= DISTRIBUTION_ROWS:
        return None
    return np.sort(rng.choice(rows, DISTRIBUTION_ROWS, replace=False))


def compare(summary, values, positions, rng, level):
    """The drift of ``values`` (float array, all rows) against ``summary``."""
    rows = len(values)
    present = int(np.count_nonzero(np.isfinite(values)))
    missing = missing_rate(summary["missing"], summary["rows"], rows - present, rows, level)
    subset = values if positions is None else values[positions]
    edges = np.asarray(summary["edges"], dtype=float)
    finite = np.clip(subset[np.isfinite(subset)], -LIMIT, LIMIT)
    batch = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=len(edges) + 1)
    reference = np.asarray(summary["counts"], dtype=np.int64)
    starts = np.r_[0, np.searchsorted(edges, summary["psi_edges"]) + 1]
    labels = interval_labels(summary["psi_edges"])
    sides = _coarse(starts, reference, batch) if labels else ([], [])
    shown = histogram(labels, *sides)
    finding = FeatureDrift(summary["name"], "numeric", "wasserstein", missing, shown)
    if reference.sum() and batch.sum():
        _score(finding, summary, reference, batch, starts, rng, level)
    finding.severity = max(finding.severity, missing.severity)
    return finding


def _coarse(starts, *counts):
    return [np.add.reduceat(c, starts, axis=-1) for c in counts]


def _score(finding, summary, reference, batch, starts, rng, level):
    """Fill in the distances, their calibrated thresholds and the distribution's verdict."""
    gaps = np.diff(np.asarray(summary["edges"], dtype=float)) / summary["scale"]
    distance = float(st.wasserstein(reference, batch, gaps))
    psi = float(st.psi(*_coarse(starts, reference, batch)))
    null_reference, null_batch = null_draws(st.shares(reference), reference.sum(), batch.sum(), rng)
    distance_limit = threshold(
        "wasserstein", tail_threshold(st.wasserstein(null_reference, null_batch, gaps), level)
    )
    psi_limit = threshold(
        "psi", tail_threshold(st.psi(*_coarse(starts, null_reference, null_batch)), level)
    )
    ratios = {"wasserstein": distance / distance_limit, "psi": psi / psi_limit}
    worst = "psi" if ratios["psi"] > max(1.0, ratios["wasserstein"]) else "wasserstein"
    finding.statistic = worst
    finding.value, finding.threshold = {
        "wasserstein": (distance, distance_limit),
        "psi": (psi, psi_limit),
    }[worst]
    finding.distribution_drifted = max(ratios.values()) > 1.0
    finding.severity = max(ratios.values())
    finding.psi = psi
    gap = st.ks_statistic(reference, batch)
    finding.ks_pvalue = st.ks_pvalue(gap, reference.sum(), batch.sum())
