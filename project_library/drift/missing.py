"""Missing-rate change, a finding of its own: a column that starts arriving empty is news even
when the values that do arrive look as before.

The size of a change is Cohen's h between the two rates (the difference of
2 asin(sqrt(rate))), which reads alike at 0.1% and at 50%; it must pass the practical floor.
Whether the change is more than chance is then decided exactly, not by a normal
approximation, which fails where it matters most (a 2%-missing column arriving complete in a
200-row batch happens 2% of the time): the batch's missing count against its beta-binomial
predictive distribution given the reference's count (Jeffreys prior), two-sided at the
batch's per-statistic level. It runs only past the floor, so its cost (linear in the batch
size) is paid only for a real change.
"""

from scipy import stats

from project_library.drift.calibration import FLOORS
from project_library.drift.report import MissingRate
from project_library.drift.statistics import arcsine_gap


def missing_rate(reference_missing, reference_rows, batch_missing, batch_rows, level):
    reference = reference_missing / reference_rows if reference_rows else None
    if reference is None or not batch_rows:
        return MissingRate(reference, batch_missing / batch_rows if batch_rows else None)
    batch = batch_missing / batch_rows
    gap = float(arcsine_gap(reference, batch))
    floor = FLOORS["missing"]
    significant = gap > floor and _improbable(
        reference_missing, reference_rows, batch_missing, batch_rows, level
    )
    return MissingRate(reference, batch, gap, floor, significant)


def _improbable(reference_missing, reference_rows, batch_missing, batch_rows, level):
    predictive = stats.betabinom(
        int(batch_rows), reference_missing + 0.5, reference_rows - reference_missing + 0.5
    )
    tail = min(predictive.cdf(batch_missing), predictive.sf(batch_missing - 1))
    return bool(tail < level / 2)
