"""The distances drift is measured with, on binned counts, vectorised over replicates.

Every function takes count arrays whose last axis is the bins, so the same code scores the
batch against the reference (one row) and hundreds of simulated null batches at once (one row
per replicate). Working on counts rather than raw values is what makes a check cost
O(rows x log(bins)) once and the calibration O(bins x replicates), whatever the batch size.

- ``wasserstein``: the earth mover's distance between two distributions on the same sorted
  support, the integral of the absolute difference of their CDFs. On the reference's
  percentile grid this is exact for the values clipped to the grid's range and rounded up to
  its next grid point; divided by the reference's spread it reads "how far, in standard
  deviations, the mass had to move".
- ``psi``: the population stability index, sum of (q - p) ln(q / p) over bins; a bin empty on
  one side would make it infinite, so each share is floored at half an observation (and at
  ``PSI_EPSILON``).
- ``js_divergence``: the Jensen-Shannon divergence in bits (0..1), symmetric and finite even
  where one side has an empty bin; its square root is the Jensen-Shannon distance.
- ``arcsine_gap``: Cohen's h between two rates, the difference of 2 asin(sqrt(rate)); the
  arcsine makes a rate's sampling variance about 1/n whatever the rate, so one threshold
  serves 0.1% and 50% missing alike.
- ``ks_pvalue``: the two-sample Kolmogorov-Smirnov p-value of the largest CDF gap on the grid,
  for information only (it is tiny for any real batch of a million rows).
"""

import numpy as np
from scipy import special

PSI_EPSILON = 1e-4


def shares(counts):
    """Counts as shares of their total along the last axis (all zero when the total is 0)."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=-1, keepdims=True)
    return counts / np.maximum(total, 1.0)


def cdf(counts):
    """The cumulative share at the right end of every bin."""
    return np.cumsum(shares(counts), axis=-1)


def wasserstein(reference, batch, gaps):
    """Integral of |CDF difference| over the grid; ``gaps`` are the grid's spacings."""
    difference = np.abs(cdf(reference) - cdf(batch))[..., : len(gaps)]
    return (difference * gaps).sum(axis=-1)


def ks_statistic(reference, batch):
    return np.abs(cdf(reference) - cdf(batch)).max(axis=-1)


def ks_pvalue(statistic, reference_rows, batch_rows):
    """Kolmogorov's limit with Stephens' small-sample correction (Numerical Recipes)."""
    root = np.sqrt(reference_rows * batch_rows / (reference_rows + batch_rows))
    return float(special.kolmogorov((root + 0.12 + 0.11 / root) * statistic))


def _floored_shares(counts):
    counts = np.asarray(counts, dtype=float)
    total = np.maximum(counts.sum(axis=-1, keepdims=True), 1.0)
    return np.maximum(counts / total, np.maximum(PSI_EPSILON, 0.5 / total))


def psi(reference, batch):
    p, q = _floored_shares(reference), _floored_shares(batch)
    return ((q - p) * np.log(q / p)).sum(axis=-1)


def js_divergence(p, q):
    """Jensen-Shannon divergence in bits between share vectors (last axis)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    middle = (p + q) / 2
    nats = special.rel_entr(p, middle).sum(axis=-1) + special.rel_entr(q, middle).sum(axis=-1)
    return np.clip(nats / (2 * np.log(2)), 0.0, 1.0)


def arcsine_gap(rate_a, rate_b):
    return abs(2 * np.arcsin(np.sqrt(rate_a)) - 2 * np.arcsin(np.sqrt(rate_b)))
