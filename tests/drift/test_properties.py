"""Any frame, however odd, ends in a report and never in an exception, and both the profile
and the report are strict JSON (no NaN, no infinity)."""

import json

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project_library.drift import build_profile, check_batch, reference_predictions
from project_library.drift.report import DriftReport

# No example database: nothing written into the repository.
SETTINGS = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
NAMES = ["a", "b", "c", "d"]
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
)
COLUMNS = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True)),
    st.lists(st.sampled_from(["x", "y", "z", None])),
    st.lists(CELLS),
)
FEATURE_KEYS = {
    "name", "kind", "statistic", "value", "threshold", "drifted", "counts_toward_verdict",
    "weight", "psi", "ks_pvalue", "unseen", "missing_rate", "histogram",
}  # fmt: skip


@st.composite
def frames(draw, names=NAMES):
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    rows = draw(st.integers(min_value=0, max_value=40))
    columns = {}
    for name in chosen:
        values = draw(COLUMNS)
        columns[name] = (values * (rows // max(len(values), 1) + 1))[:rows] if values else []
        columns[name] += [None] * (rows - len(columns[name]))
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


@st.composite
def profiles(draw):
    frame = draw(frames())
    numeric = draw(st.lists(st.sampled_from(list(frame.columns)), unique=True))
    categorical = [c for c in frame.columns if c not in numeric]
    weights = draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES), st.floats(0, 1))))
    if draw(st.booleans()):
        predicted = reference_predictions(draw(st.lists(st.sampled_from([0, 1, 2]))), [0, 1, 2])
    else:
        predicted = reference_predictions(draw(st.lists(st.floats(allow_nan=True))))
    return build_profile(frame, numeric, categorical, predictions=predicted, weights=weights)


def batch_predictions_for(profile, draw):
    reference = profile["predictions"]
    if reference["kind"] == "classes":
        labels = st.sampled_from([*reference["counts"], "new"])
        counts = draw(st.dictionaries(labels, st.integers(0, 10**6)))
        return {"kind": "classes", "counts": counts, "rows": sum(counts.values())}
    counts = draw(
        st.lists(
            st.integers(0, 10**6),
            min_size=len(reference["edges"]) + 1,
            max_size=len(reference["edges"]) + 1,
        )
    )
    return {"kind": "numeric", "edges": reference["edges"], "counts": counts, "rows": sum(counts)}


@settings(**SETTINGS, max_examples=150)
@given(profile=profiles(), batch=frames(), data=st.data())
def test_any_frame_gives_a_strict_json_report(profile, batch, data):
    json.dumps(profile, allow_nan=False)
    predictions = batch_predictions_for(profile, data.draw) if data.draw(st.booleans()) else None

    report = check_batch(profile, batch, predictions)

    assert isinstance(report, DriftReport)
    out = report.to_dict()
    json.dumps(out, allow_nan=False)
    assert set(out) == {"drifted", "checked", "features", "prediction", "rows"}
    assert out["checked"] == len(profile["features"]) and out["rows"] == len(batch)
    assert all(set(f) == FEATURE_KEYS for f in out["features"])
    assert isinstance(report.summary(), str) and report.summary()


@settings(**SETTINGS, max_examples=60)
@given(profile=profiles(), batch=frames())
def test_the_saved_profile_gives_the_same_report(profile, batch):
    saved = json.loads(json.dumps(profile, allow_nan=False))
    assert check_batch(saved, batch, None).to_dict() == check_batch(profile, batch, None).to_dict()


@settings(**SETTINGS, max_examples=60)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1))
def test_a_batch_equal_to_the_reference_has_zero_distance(values):
    frame = pd.DataFrame({"a": np.asarray(values, dtype=float)})
    profile = build_profile(frame, ["a"], [], predictions=None, weights=None)
    feature = check_batch(profile, frame, None).features[0]
    assert feature.value == 0 and not feature.drifted
