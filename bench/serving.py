"""Benchmark: the prediction endpoint under gunicorn, against its limits in the same run.

Trains the sample project (scikit-learn's breast-cancer data) on the embedded database,
serves the app with the repository's gunicorn.conf.py, and loads it with Debian's wrk:
single-row requests at 1, 8 and 50 connections and 100-row requests at 8 connections, with a
project prediction token. Baselines measured in the same run: the same model's
``predict_with_proba`` called in-process on the same rows (the limit), and a trivial Flask
JSON endpoint (``bench/trivial_app.py``, ``POST /json``) served the same way.

Goals: single-row p50 <= 5 ms and p99 <= 20 ms at 8 connections; throughput >= 0.5x the
trivial endpoint's; 0 errors.

    .venv/bin/python bench/serving.py [--duration 15] [--write-docs]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_section import write_section  # noqa: E402

from bench.web import STATUS_SCRIPT, Server, run_wrk  # noqa: E402
from entity.embedded_server import stop_server  # noqa: E402

START, END = "<!-- bench:serving:start -->", "<!-- bench:serving:end -->"

# POST the body with the token; bench/web.py's status hook counts the answers that are not 200.
REQUEST = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


BENCH_USER = ("bench@example.com", "bench-password-123")


def trained_sample(app):
    """Register a user and a team workspace, create the sample project and train it through
    the app's executor; return (store, user, workspace, the trained project)."""
    from project_library.accounts import service as accounts
    from project_library.projects import service as projects
    from thread_layer.runs import start_run

    store = app.extensions["store"]
    user = accounts.register(store, *BENCH_USER, "Bench")
    workspace = accounts.create_team_workspace(store, user, "Bench")
    project = projects.create_sample(store, workspace.id, user.id)
    run = start_run(store, app.extensions["run_executor"], workspace.id, project.id, "train", user)
    while store.runs.get(workspace.id, run.id).active:
        time.sleep(0.5)
    finished = store.runs.get(workspace.id, run.id)
    if finished.status != "succeeded":
        raise RuntimeError(f"training failed: {finished.message}")
    return store, user, workspace, store.projects.get(workspace.id, project.id)


def prepare(work):
    """Train the sample project; return (token, project id, rows, the trained model)."""
    from app import create_app
    from integration.layout import models_folder
    from integration.registry import project_storage
    from project_library.models import artifacts
    from project_library.projects.sample import sample_files
    from project_library.serving import tokens

    app = create_app({"DATA_DIR": str(work), "SCHEDULER": False, "LOG_LEVEL": "WARNING"})
    store, user, workspace, project = trained_sample(app)
    _, secret = tokens.create_token(store, workspace.id, project.id, user, "bench")
    model, _ = artifacts.load_model(
        project_storage(store, project),
        models_folder(project),
        project.production_version,
        app.config["SECRET_KEY"],
    )
    csv_bytes = next(data for folder, _, data in sample_files() if folder == "prediction_batches")
    import io

    import pandas as pd

    frame = pd.read_csv(io.BytesIO(csv_bytes))
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    app.extensions["run_executor"].shutdown()
    return secret, project.id, rows, model, frame


def in_process(model, frame, rows, count=2000):
    """Milliseconds per predict_with_proba call on ``rows`` rows: the model's own limit."""
    part = frame.iloc[:rows]
    times = []
    for _ in range(count):
        began = time.perf_counter()
        model.predict_with_proba(part)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {
        "p50": times[len(times) // 2],
        "p99": times[int(len(times) * 0.99)],
        "rps": 1000 / (sum(times) / len(times)),
    }


def wrk(url, body, token, connections, duration, out_dir, name):
    """bench/web.py's wrk run, with a Lua script that POSTs ``body`` with the token."""
    script = out_dir / f"{name}.lua"
    script.write_text(
        REQUEST.format(body=json.dumps(json.dumps(body)), token=token) + STATUS_SCRIPT
    )
    return run_wrk(url, connections, duration, 2, script, out=out_dir / f"{name}.txt")


def measure(args, work, out_dir):
    token, project_id, rows, model, frame = prepare(work)
    env = {
        **os.environ,
        "MLP_DATA_DIR": str(work),
        "MLP_SCHEDULER": "false",
        "MLP_RUN_RECOVERY": "false",
        "MLP_LOG_LEVEL": "WARNING",
        "MLP_PREDICT_RATELIMIT": "100000000 per minute",
    }
    for key in ("MONGODB_URI", "MLP_MONGODB_URI"):
        env.pop(key, None)
    app = Server("serving", "app:create_app()", out_dir, env)
    trivial = Server("trivial", "bench.trivial_app:create_app()", out_dir, env)
    try:
        app.wait_ready("/login")
        trivial.wait_ready("/")
        url = f"{app.base}/api/v1/projects/{project_id}/predict"
        one, hundred = {"rows": rows[:1]}, {"rows": (rows * 2)[:100]}
        wrk(url, one, token, 8, 3, out_dir, "warmup")  # every worker loads the model
        results = {}
        for connections in (1, 8, 50):
            results[f"1 row, {connections} conn"] = wrk(
                url, one, token, connections, args.duration, out_dir, f"app-1-{connections}"
            )
        results["100 rows, 8 conn"] = wrk(
            url, hundred, token, 8, args.duration, out_dir, "app-100-8"
        )
        baseline = {
            f"trivial, {c} conn": wrk(
                f"{trivial.base}/json", one, token, c, args.duration, out_dir, f"trivial-{c}"
            )
            for c in (8, 50)
        }
    finally:
        app.stop()
        trivial.stop()
    limits = {
        "in-process, 1 row": in_process(model, frame, 1),
        "in-process, 100 rows": in_process(model, pd_rows(frame, 100), 100, 500),
    }
    return results, baseline, limits


def pd_rows(frame, count):
    import pandas as pd

    return pd.concat([frame] * (count // len(frame) + 1), ignore_index=True).iloc[:count]


def render(results, baseline, limits, args, load):
    single8, trivial8 = results["1 row, 8 conn"], baseline["trivial, 8 conn"]
    ratio = single8["rps"] / trivial8["rps"]
    errors = sum(r["socket_errors"] + r["non_200"] for r in results.values())
    lines = [
        START,
        "## Online prediction (`bench/serving.py`)",
        "",
        f"`.venv/bin/python bench/serving.py --duration {args.duration} --write-docs`, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average before/after "
        f"{load[0]:.2f} / {load[1]:.2f} on 2 cores (shared). The sample project's model "
        "(breast-cancer data, 31 features), gunicorn with gunicorn.conf.py (2 workers x 4 "
        "threads), the embedded database, a project prediction token, Debian wrk with 2 threads.",
        "",
        "| load | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in {**results, **baseline}.items():
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['socket_errors'] + r['non_200']} |"
        )
    for name, r in limits.items():
        lines.append(
            f"| {name} (no HTTP) | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | — |"
        )
    lines += [
        "",
        f"- single-row p50 at 8 connections: {single8['p50']:.2f} ms (goal <= 5 ms): "
        f"{'met' if single8['p50'] <= 5 else 'missed'}",
        f"- single-row p99 at 8 connections: {single8['p99']:.2f} ms (goal <= 20 ms): "
        f"{'met' if single8['p99'] <= 20 else 'missed'}",
        f"- throughput vs the trivial JSON endpoint at 8 connections: {ratio:.2f}x "
        f"(goal >= 0.5x): {'met' if ratio >= 0.5 else 'missed'}",
        f"- errors: {errors} (goal 0): {'met' if errors == 0 else 'missed'}",
        END,
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    out_dir = ROOT / "bench" / "out" / "serving"
    out_dir.mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()[0]
    try:
        results, baseline, limits = measure(args, work, out_dir)
    finally:
        stop_server(work)
        shutil.rmtree(work, ignore_errors=True)
    section = render(results, baseline, limits, args, (before, os.getloadavg()[0]))
    print(section)
    if args.write_docs:
        write_section(section, START, END)


if __name__ == "__main__":
    main()
