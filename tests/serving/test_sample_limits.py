"""A sample of an online call too large to keep (a wide call whose document would pass
MongoDB's 16 MB limit) is kept as a short note; column names with dots or a leading dollar
are kept as they are."""

from controllers.context import get_store

ROWS = 3000
COLUMNS = 600


def test_an_oversized_sample_is_kept_as_a_note(app, team):
    with app.app_context():
        store = get_store()
    # columns/data of 1.8M small numbers: ~4 MB of JSON, ~25 MB once encoded as BSON
    big = {
        "request": {"columns": [f"c{i}" for i in range(COLUMNS)], "data": [[1] * COLUMNS] * ROWS},
        "answer": {"predictions": [0] * ROWS},
        "ms": 12.5,
    }
    odd = {"request": {"rows": [{"a.b": 1, "$x": 2}]}, "answer": {"predictions": [1]}, "ms": 1.0}
    small = {"request": {"rows": [{"a": 1}]}, "answer": {"predictions": [1]}, "ms": 1.0}
    store.serving.keep_samples(team.workspace_id, "p1", "2026-12-01", [big, odd, small])
    samples = store.serving.recent_samples(team.workspace_id, "p1")
    assert len(samples) == 3
    note = next(s for s in samples if s["ms"] == 12.5)
    assert note["request"] == {"omitted": "too large to keep", "rows": ROWS}
    assert note["answer"] is None
    requests = [s["request"] for s in samples]
    assert small["request"] in requests and odd["request"] in requests
    assert store.serving.sampled_today("p1", "2026-12-01") == 3
