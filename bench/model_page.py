"""Benchmark: the Model page with every figure, against the model list page in the same run.

Trains the sample project (scikit-learn's breast-cancer data) on the embedded database, then
times, in-process through Flask's test client (server time: routing, database, storage read
of the signed figures, template), the version page ``/projects/<id>/models/1`` and the plain
versions list ``/projects/<id>/models`` as the baseline, in interleaved rounds. Also reports
the largest figure's SVG size.

Goals: Model page server time <= 150 ms (p50 and p95); each SVG <= 200 KB.

    .venv/bin/python bench/model_page.py [--requests 60] [--rounds 3] [--write-docs]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_section import write_section  # noqa: E402
from serving import BENCH_USER, trained_sample  # noqa: E402

from entity.embedded_server import stop_server  # noqa: E402

START, END = "<!-- bench:model_page:start -->", "<!-- bench:model_page:end -->"


def prepare(work):
    """A trained sample project and a signed-in test client: (app, client, project id)."""
    from app import create_app

    app = create_app(
        {"DATA_DIR": str(work), "SCHEDULER": False, "LOG_LEVEL": "WARNING", "TESTING": True}
    )
    app.config["WTF_CSRF_ENABLED"] = False
    _, _, workspace, project = trained_sample(app)
    client = app.test_client()
    email, password = BENCH_USER
    client.post("/login", data={"email": email, "password": password})
    client.post("/workspace/switch", data={"workspace_id": workspace.id})
    return app, client, project.id


def timed(client, url, count):
    """Milliseconds per GET of ``url`` (every answer must be 200)."""
    times = []
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200 or b"Sign out" not in response.data:
            raise RuntimeError(f"{url} answered {response.status_code} (signed in?)")
    return times


def p(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(client, project_id, requests, rounds):
    page, baseline = [], []
    for _ in range(rounds):  # interleaved, so load changes hit both alike
        baseline += timed(client, f"/projects/{project_id}/models", requests)
        page += timed(client, f"/projects/{project_id}/models/1", requests)
    body = client.get(f"/projects/{project_id}/models/1").data
    if body.count(b"<svg") < 6:
        raise RuntimeError("the Model page does not show its figures")
    plots = client.get(f"/api/v1/projects/{project_id}/models/1/plots").get_json()
    sizes = [len(client.get(f["svg_url"]).get_data()) for f in plots["figures"]]
    return page, baseline, sizes, len(plots["figures"])


def section(page, baseline, sizes, count, load):
    rows = [
        ("Model page (all figures)", page),
        ("Model versions list (baseline)", baseline),
    ]
    lines = [
        START,
        "## Model page with its figures (`bench/model_page.py`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load}; server time "
        "in-process through Flask's test client, interleaved rounds, embedded database, "
        f"the sample project's v1 with {count} figures.",
        "",
        "| page | p50 ms | p95 ms | ratio to baseline (p50) |",
        "|---|---:|---:|---:|",
    ]
    base = p(baseline, 0.5)
    for name, values in rows:
        lines.append(
            f"| {name} | {p(values, 0.5):.1f} | {p(values, 0.95):.1f} | "
            f"{p(values, 0.5) / base:.2f}x |"
        )
    goal = "met" if p(page, 0.95) <= 150 else "missed"
    size = "met" if max(sizes) <= 200_000 else "missed"
    lines += [
        "",
        f"Goal: server time <= 150 ms: {goal} (p95 {p(page, 0.95):.1f} ms). Largest SVG "
        f"{max(sizes) / 1024:.1f} KB of {count} (goal <= 200 KB: {size}). Figures are read "
        "from storage and verified against the signed manifest once per process, then served "
        "from a small cache keyed by their signed digest.",
        END,
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlp-bench-model-page-"))
    try:
        app, client, project_id = prepare(work)
        page, baseline, sizes, count = measure(client, project_id, args.requests, args.rounds)
        app.extensions["run_executor"].shutdown()
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        text = section(page, baseline, sizes, count, load)
        print(text)
        if args.write_docs:
            write_section(text, START, END)
    finally:
        stop_server(str(work))
        shutil.rmtree(work, ignore_errors=True)
    print(f"median of all page loads: {statistics.median(page):.1f} ms")


if __name__ == "__main__":
    main()
