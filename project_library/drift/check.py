"""Check one prediction batch against a model version's reference profile.

``check_batch(profile, features, predictions)`` compares every profiled feature (numeric:
Wasserstein distance and PSI; categorical: Jensen-Shannon distance and unseen labels; both:
the missing rate) and the predictions, each statistic against a threshold calibrated for this
batch's size (``calibration``), then weighs the drifted features by the model's importance
(``report``). Columns the profile does not know are ignored; a profiled column the batch lacks
is checked as entirely missing, which is what the model will see. Nothing here reads or
writes storage, and nothing raises on odd data: empty batches, all-missing or infinite
columns, one row, a million distinct labels or labels that are not text all give a report.

Randomness (the row subset of a large batch, the null simulations) is seeded, so checking the
same batch twice gives the same report.
"""

import numpy as np
import pandas as pd

from project_library.drift import categorical, numeric
from project_library.drift import predictions as prediction_drift
from project_library.drift.calibration import test_level
from project_library.drift.profile import VERSION
from project_library.drift.report import DriftReport, apply_weights
from project_library.drift.values import numbers

SEED = 20_240_611
# Statistics that decide, per feature kind: numeric Wasserstein, PSI and missing rate;
# categorical Jensen-Shannon and missing rate.
STATISTICS = {"numeric": 3, "categorical": 2}


def check_batch(profile, features, predictions):
    """The ``DriftReport`` of ``features`` (``TrainedModel.prepare(batch)``) and the batch's
    prediction distribution (``batch_predictions``, or None)."""
    if profile.get("version") != VERSION:
        raise ValueError(f"Unsupported drift profile version {profile.get('version')!r}.")
    specs = profile["features"]
    has_predictions = profile.get("predictions") is not None and predictions is not None
    level = test_level(sum(STATISTICS[s["kind"]] for s in specs) + has_predictions)
    rows = len(features)
    if not features.columns.is_unique:  # a repeated name: the first column of that name
        features = features.loc[:, ~features.columns.duplicated()]
    positions = numeric.distribution_rows(rows, np.random.default_rng(SEED))
    findings = [
        _check_feature(spec, features, positions, level, index) for index, spec in enumerate(specs)
    ]
    apply_weights(findings, profile.get("weights"))
    findings.sort(key=lambda finding: -finding.severity)
    prediction = prediction_drift.compare(
        profile.get("predictions"), predictions, np.random.default_rng([SEED, len(specs)]), level
    )
    return DriftReport(rows=rows, features=findings, prediction=prediction)


def _check_feature(spec, frame, positions, level, index):
    rng = np.random.default_rng([SEED, index])
    column = frame[spec["name"]] if spec["name"] in frame.columns else None
    if spec["kind"] == "numeric":
        values = np.full(len(frame), np.nan) if column is None else numbers(column)
        return numeric.compare(spec, values, positions, rng, level)
    if column is None:
        column = pd.Series(np.full(len(frame), None, dtype=object))
    return categorical.compare(spec, column, rng, level)
