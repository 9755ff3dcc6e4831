"""A categorical feature: how the reference is summarised, and how a batch is compared with it.

The summary keeps the ``TOP`` most frequent labels of the reference sample with their counts,
one "other" count for the rest, and the list of every label the training data held (up to
``KNOWN_LIMIT``; beyond that the column is close to an identifier and "new" stops meaning
anything). A batch's labels fall into those bins, "other" for a known rare label, or an
"unseen" bin for a label the training data never had; unseen labels are also listed with
their counts.

The statistic is the Jensen-Shannon distance between the bin shares. Even a healthy batch
meets a few labels training never saw when the training data has a long tail; the
Good-Turing estimate of that chance (the share of training rows whose label occurs once) is
the reference's share of the "unseen" bin, so the null simulation expects them too.
"""

import numpy as np
import pandas as pd

from project_library.drift import statistics as st
from project_library.drift.calibration import null_draws, tail_threshold, threshold
from project_library.drift.missing import missing_rate
from project_library.drift.report import FeatureDrift, histogram, rounded
from project_library.drift.values import label_counts

TOP = 50
KNOWN_LIMIT = 1_000
HISTOGRAM_LABELS = 8
UNSEEN_EXAMPLES = 5
LABEL_CHARACTERS = 80
OTHER, UNSEEN = "(other)", "(unseen)"


def summarise(sample, everything=None):
    """The reference summary from the sampled rows and, for the known labels, all rows
    (``everything``; None when the sample is every row)."""
    counts = label_counts(sample)
    overall = counts if everything is None else label_counts(everything)
    complete = len(overall) <= KNOWN_LIMIT
    singletons = int((overall == 1).sum())
    return {
        "kind": "categorical",
        "rows": len(sample),
        "missing": int(len(sample) - counts.sum()),
        "top": [[label, int(count)] for label, count in counts.iloc[:TOP].items()],
        "other": int(counts.iloc[TOP:].sum()),
        "known": sorted(overall.index) if complete else None,
        "unseen_share": rounded(singletons / overall.sum()) if complete and len(overall) else 0.0,
    }


def _bins(labels, top, known):
    """Each label's bin: its position in ``top``, else "other" (known), else "unseen"."""
    position = pd.Index(top, dtype=object).get_indexer(labels)
    rare = len(top) if known is None else np.where(labels.isin(known), len(top), len(top) + 1)
    return np.where(position >= 0, position, rare)


def _unseen(counts):
    return [
        {"value": label[:LABEL_CHARACTERS], "count": int(count)}
        for label, count in counts.iloc[:UNSEEN_EXAMPLES].items()
    ]


def compare(summary, column, rng, level):
    """The drift of ``column`` (a Series, all rows) against ``summary``."""
    rows = len(column)
    counts = label_counts(column)
    missing = missing_rate(
        summary["missing"], summary["rows"], rows - int(counts.sum()), rows, level
    )
    top = [label for label, _ in summary["top"]]
    bins = _bins(counts.index, top, summary["known"])
    batch = np.bincount(bins, weights=counts.to_numpy(), minlength=len(top) + 2).astype(np.int64)
    reference = np.array([c for _, c in summary["top"]] + [summary["other"], 0], dtype=np.int64)
    finding = FeatureDrift(
        summary["name"],
        "categorical",
        "jensen_shannon",
        missing,
        _histogram(top, reference, batch),
        unseen=_unseen(counts[bins == len(top) + 1]),
    )
    if reference.sum() and batch.sum():
        _score(finding, summary["unseen_share"], reference, batch, rng, level)
    finding.severity = max(finding.severity, missing.severity)
    return finding


def _histogram(top, reference, batch):
    """The most frequent reference labels, then "(other)", then "(unseen)" when there are any."""
    shown = min(len(top), HISTOGRAM_LABELS)
    labels = [label[:LABEL_CHARACTERS] for label in top[:shown]] + [OTHER]
    sides = [
        [*counts[:shown], counts[shown:-1].sum()] + ([counts[-1]] if batch[-1] else [])
        for counts in (reference, batch)
    ]
    return histogram(labels + ([UNSEEN] if batch[-1] else []), *sides)


def _score(finding, unseen_share, reference, batch, rng, level):
    expected = st.shares(reference) * (1.0 - unseen_share)
    expected[-1] += unseen_share
    distance = float(np.sqrt(st.js_divergence(expected, st.shares(batch))))
    null_reference, null_batch = null_draws(expected, reference.sum(), batch.sum(), rng)
    simulated = st.js_divergence(st.shares(null_reference), st.shares(null_batch))
    limit = threshold("jensen_shannon", np.sqrt(tail_threshold(simulated, level)))
    finding.value, finding.threshold = distance, limit
    finding.distribution_drifted = distance > limit
    finding.severity = distance / limit
