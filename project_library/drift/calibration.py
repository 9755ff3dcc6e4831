"""Per-feature thresholds: how large a statistic gets when nothing drifted, at this batch's size.

The null hypothesis is "the batch and the reference were drawn from the same distribution".
Both are finite samples, so both sides are simulated: ``REPEATS`` pairs of multinomial draws,
``m`` rows for the reference and ``n`` for the batch, from the reference's bin shares. That is
O(bins x repeats) whatever ``n`` is, and it is exact for small batches, where the statistics
are lumpy and no asymptotic formula holds.

A batch checks many features (wafer has 474), so a per-feature 99th percentile would flag a
healthy wide batch almost every time. Each statistic is instead held to ``FALSE_ALARM``
divided by the number of statistics the batch is judged on (Bonferroni), a quantile far in
the tail that 256 draws cannot reach directly: it is extrapolated from gamma distributions
fitted to the simulated moments (``tail_threshold``), since divergences of counts are close to
scaled chi-square variables, which are gammas. (The missing rate needs no simulation: see
``missing``.)

On its own a calibrated threshold shrinks like 1/sqrt(n), so a million-row batch would fail
on differences nobody should act on. Every statistic therefore also has a practical-effect
floor (``FLOORS``): a feature drifts only when its statistic is both improbable under the
null and large enough to matter. p-values never decide. The floors, in the statistics' units:

- Wasserstein 0.1: the batch's mass moved a tenth of the reference's (robust) standard
  deviation on average, e.g. a 0.1-sigma mean shift;
- PSI 0.25: the conventional "significant shift" line of the population stability index;
- Jensen-Shannon distance 0.1: e.g. 2% of the rows in a category the training data lacked;
- missing rate, Cohen's h 0.25: 0% -> 1.5%, 10% -> 20% or 30% -> 42% missing.
"""

import numpy as np
from scipy import special

REPEATS = 256
# The chance, aimed at, that a batch drawn from the training distribution is flagged at all.
FALSE_ALARM = 0.001
FLOORS = {"wasserstein": 0.1, "psi": 0.25, "jensen_shannon": 0.1, "missing": 0.25}


def null_draws(bin_shares, reference_rows, batch_rows, rng, repeats=REPEATS):
    """(reference counts, batch counts): ``repeats`` rows each, drawn from ``bin_shares``."""
    p = np.clip(np.asarray(bin_shares, dtype=float), 0.0, None)
    p = p / p.sum()
    return (
        rng.multinomial(int(reference_rows), p, size=repeats),
        rng.multinomial(int(batch_rows), p, size=repeats),
    )


def tail_threshold(simulated, level):
    """The ``1 - level`` quantile of the simulated null, extrapolated by moment-matched fits.

    Two fits, the larger answer kept: a gamma on the mean and variance, and a gamma free to
    shift (Pearson type III) on the mean, variance and skewness, the skewness raised by two
    standard errors because 256 draws estimate it loosely (measured against a million draws,
    this keeps the real tail probability within about twice the target, where one standard
    error left it at three times). Sparse counts (a 300-label column in a 70-row batch) make
    the null more skewed than a gamma anchored at zero allows. (``scipy.special`` directly:
    the ``scipy.stats`` objects cost a millisecond a call, and wafer has 474 features.)
    """
    values = np.asarray(simulated, dtype=float)
    mean, spread, largest = values.mean(), values.std(), values.max()
    if not (mean > 0 and spread > 1e-9 * mean):
        return float(largest)
    anchored = special.gammainccinv((mean / spread) ** 2, level) * spread**2 / mean
    skew = np.mean(((values - mean) / spread) ** 3) + 2 * np.sqrt(6.0 / len(values))
    if skew > 0:
        shape, scale = 4.0 / skew**2, spread * skew / 2
        shifted = mean - shape * scale + special.gammainccinv(shape, level) * scale
    else:
        shifted = mean - special.ndtri(level) * spread
    fitted = np.nan_to_num([anchored, shifted], nan=largest, posinf=largest)
    return float(max(*fitted, largest))


def threshold(statistic, tail):
    """The larger of the calibrated tail and the statistic's practical-effect floor."""
    return max(float(tail), FLOORS[statistic])


def test_level(statistics_count):
    return FALSE_ALARM / max(int(statistics_count), 1)
