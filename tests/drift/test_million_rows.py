"""A million rows drawn from the training distribution are not flagged: the practical floors
hold where the calibrated thresholds alone would shrink to nothing."""

import numpy as np
import pytest

from project_library.drift import (
    batch_predictions,
    build_profile,
    check_batch,
    reference_predictions,
)
from project_library.drift.calibration import FLOORS
from tests.drift import synthetic

pytestmark = pytest.mark.slow


def test_a_million_healthy_rows_pass():
    rng = np.random.default_rng(0)
    held_out = reference_predictions(np.where(rng.random(5_000) < 0.3, "yes", "no"), ["no", "yes"])
    profile = build_profile(
        synthetic.features(40_000, seed=21),
        synthetic.NUMERIC,
        synthetic.CATEGORICAL,
        predictions=held_out,
        weights=None,
    )
    batch = synthetic.features(1_000_000, seed=22)
    predicted = np.where(rng.random(len(batch)) < 0.3, "yes", "no")

    report = check_batch(profile, batch, batch_predictions(predicted, profile["predictions"]))

    assert not report.drifted, report.summary()
    assert report.summary() == "No drift in 30 features."
    assert report.rows == 1_000_000
    # At this size every threshold is its practical floor: calibration alone would flag.
    assert all(f.threshold == FLOORS[f.statistic] for f in report.features)
