"""What a drift check found and what it concludes: the report a run stores, shows and mails.

A feature drifted when its distribution or its missing rate did. The batch drifted when a
drifted feature counts toward the verdict, or when the predictions themselves drifted. With
permutation-importance weights, a feature counts when the model relies on it: at least
``MIN_WEIGHT`` of the importance, or among the ``TOP_FEATURES`` most important (so a model
that spreads importance thinly still has features that matter). A drifted feature below both
is shown but does not fail the batch: whatever it does, the model's predictions hardly
change. Without weights (or with none positive, which says nothing) every feature counts.
"""

import math
from dataclasses import dataclass, field

MIN_WEIGHT = 0.02
TOP_FEATURES = 5
NAMES_IN_SUMMARY = 5


def rounded(value, digits=6):
    """A JSON-safe float (``digits`` significant digits), or None."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def short_number(value):
    if 1_000 <= abs(value) < 1_000_000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def interval_labels(edges):
    """Labels of the bins (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    if not len(edges):
        return []
    text = [short_number(edge) for edge in edges]
    middle = [f"{low} – {high}" for low, high in zip(text, text[1:], strict=False)]
    return [f"≤ {text[0]}", *middle, f"> {text[-1]}"]


def share_list(counts):
    """Counts as shares of their total, rounded for display (all 0 for no rows)."""
    total = sum(counts)
    return [rounded(c / total, 4) if total else 0.0 for c in counts]


def histogram(labels, reference_counts, batch_counts):
    """The reference's and the batch's shares of each bin, for the run page."""
    return {
        "labels": list(labels),
        "reference": share_list(reference_counts),
        "batch": share_list(batch_counts),
    }


@dataclass
class MissingRate:
    """Share of missing values on each side; ``gap`` is Cohen's h, ``floor`` its practical
    floor, ``significant`` whether the change is both past the floor and more than chance."""

    reference: float | None
    batch: float | None
    gap: float = 0.0
    floor: float = math.inf
    significant: bool = False

    @property
    def drifted(self):
        return self.significant

    @property
    def severity(self):
        """Gap over floor, kept below 1 unless the change is significant."""
        ratio = self.gap / self.floor
        return ratio if self.significant else min(ratio, 0.99)

    def to_dict(self):
        return {
            "reference": rounded(self.reference),
            "batch": rounded(self.batch),
            "drifted": self.drifted,
        }


@dataclass
class FeatureDrift:
    """One feature's findings; ``severity`` (the largest statistic-to-threshold ratio) orders
    the report, and ``distribution_drifted`` is the verdict of ``statistic`` (or of the PSI)."""

    name: str
    kind: str
    statistic: str
    missing: MissingRate
    histogram: dict
    value: float | None = None
    threshold: float | None = None
    distribution_drifted: bool = False
    severity: float = 0.0
    psi: float | None = None
    ks_pvalue: float | None = None
    unseen: list = field(default_factory=list)
    weight: float | None = None
    counts_toward_verdict: bool = True

    @property
    def drifted(self):
        return self.distribution_drifted or self.missing.drifted

    def to_dict(self):
        return {
            "name": str(self.name),
            "kind": self.kind,
            "statistic": self.statistic,
            "value": rounded(self.value),
            "threshold": rounded(self.threshold),
            "drifted": self.drifted,
            "counts_toward_verdict": self.counts_toward_verdict,
            "weight": rounded(self.weight),
            "psi": rounded(self.psi),
            "ks_pvalue": rounded(self.ks_pvalue, 3),
            "unseen": list(self.unseen),
            "missing_rate": self.missing.to_dict(),
            "histogram": self.histogram,
        }


@dataclass
class PredictionDrift:
    kind: str
    statistic: str
    value: float | None
    threshold: float | None
    drifted: bool
    reference: dict
    batch: dict

    def to_dict(self):
        return {
            "kind": self.kind,
            "statistic": self.statistic,
            "value": rounded(self.value),
            "threshold": rounded(self.threshold),
            "drifted": self.drifted,
            "reference": self.reference,
            "batch": self.batch,
        }


def apply_weights(features, weights):
    """Set each feature's weight and whether its drift can fail the batch."""
    weights = weights or {}
    positive = {name: w for name, w in weights.items() if w and w > 0}
    top = set(sorted(positive, key=positive.get, reverse=True)[:TOP_FEATURES])
    for feature in features:
        feature.weight = weights.get(feature.name)
        feature.counts_toward_verdict = (
            not positive
            or feature.weight is None
            or feature.weight >= MIN_WEIGHT
            or feature.name in top
        )


def _names(features):
    names = [str(f.name) for f in features[:NAMES_IN_SUMMARY]]
    more = len(features) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


@dataclass
class DriftReport:
    rows: int
    features: list
    prediction: PredictionDrift | None = None

    @property
    def checked(self):
        return len(self.features)

    @property
    def drifted(self):
        failing = any(f.drifted and f.counts_toward_verdict for f in self.features)
        return failing or bool(self.prediction and self.prediction.drifted)

    def to_dict(self):
        return {
            "drifted": self.drifted,
            "checked": self.checked,
            "features": [f.to_dict() for f in self.features],
            "prediction": self.prediction.to_dict() if self.prediction else None,
            "rows": int(self.rows),
        }

    def summary(self):
        """One line for the run's message and email."""
        if self.rows == 0:
            return "Empty batch: no rows to check for drift."
        noun = "feature" if self.checked == 1 else "features"
        drifted = [f for f in self.features if f.drifted]
        predictions = bool(self.prediction and self.prediction.drifted)
        if not drifted:
            lead = "Predictions drifted; no drift" if predictions else "No drift"
            return f"{lead} in {self.checked} {noun}."
        text = f"{len(drifted)} of {self.checked} {noun} drifted: {_names(drifted)}"
        ignored = [f for f in drifted if not f.counts_toward_verdict]
        if len(ignored) == len(drifted) and not predictions:
            pronoun = "it" if len(ignored) == 1 else "them"
            text += f"; the model hardly uses {pronoun}, so the batch passes"
        elif ignored:
            text += f" ({_names(ignored)} hardly used by the model)"
        return text + ("; predictions drifted too." if predictions else ".")
