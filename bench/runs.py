"""Benchmark: run-level numbers of the platform, each against a baseline in the same run.

1. a training through the platform (HTTP press -> succeeded) vs the same pipeline called
   directly (validate_batches + load_table + train + save_model), same files, every candidate;
2. Train/Predict press -> run ``running`` (threads executor);
3. a log line's time -> seen by a client polling ``logs?after=`` once a second (p95);
4. p99 of the run's log polling at 50 clients during a training vs a trivial Flask page
   served the same way (werkzeug threaded server), load from a separate process;
5. batch prediction of --rows rows end to end (press -> CSV written) vs pandas
   read_csv + predict + to_csv on the same files and model.

  .venv/bin/python bench/runs.py --write-docs [--rows 1000000]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from docs_section import write_section  # noqa: E402

START, END = "<!-- bench:runs:start -->", "<!-- bench:runs:end -->"
FEATURES = 12


def schema(with_target=True):
    columns = {
        "row_id": "varchar",
        **{f"f{i}": "float" for i in range(FEATURES)},
        "kind": "varchar",
    }
    if with_target:
        columns["label"] = "varchar"
    return {
        "SampleFileName": "bench_08012020_120000.csv",
        "LengthOfDateStampInFile": 8,
        "LengthOfTimeStampInFile": 6,
        "NumberofColumns": len(columns),
        "ColName": columns,
    }


def frame(rows, seed=0, with_target=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, FEATURES)).round(4)
    kind = rng.choice(["a", "b", "c", "d"], rows)
    data = {"row_id": [f"r{seed}-{i}" for i in range(rows)]}
    data.update({f"f{i}": X[:, i] for i in range(FEATURES)})
    data["kind"] = kind
    if with_target:
        score = X[:, 0] * 1.5 - X[:, 1] + np.sin(X[:, 2] * 2) + (kind == "b") * 0.8
        data["label"] = np.where(score + rng.normal(0, 0.5, rows) > 0.3, "yes", "no")
    return pd.DataFrame(data)


def write_files(folder, table, files):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        table.iloc[i::files].to_csv(folder / f"bench_0{i + 1}012020_1200{i:02d}.csv", index=False)


class Server:
    """A Flask app on a threaded werkzeug server in this process."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        self.server.shutdown()


def http(method, url, token=None, body=None, workspace=None):
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if workspace:
        request.add_header("X-Workspace", workspace)
    if data:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = response.read()
    return json.loads(payload) if payload[:1] in (b"{", b"[") else payload


def wait(base, token, ws, run_id, timeout=3600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = http("GET", f"{base}/api/v1/runs/{run_id}", token, workspace=ws)
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise RuntimeError("run did not finish")


def parse_time(text):
    return datetime.fromisoformat(text).timestamp()


def press_to_running(base, token, workspace, project_id, count):
    """Seconds from each prediction press (client clock) to the run's claim, one at a time."""
    press = []
    for _ in range(count):
        t0 = time.time()
        run = http(
            "POST",
            f"{base}/api/v1/projects/{project_id}/runs",
            token,
            {"kind": "predict"},
            workspace,
        )
        done = wait(base, token, workspace, run["id"])
        press.append(parse_time(done["started_at"]) - t0)
    return press


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def load_phase(url, clients, seconds):
    """Child process: ``clients`` threads GET ``url`` back to back; print latencies (ms).

    With BENCH_FOLLOW=1 each client polls like the run page's browser does: it moves its
    ``after=`` cursor to each answer's ``next`` and sends the last ETag back
    (``If-None-Match``), so an unchanged log answers 304.
    """
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies, errors, stop = [], [0], time.monotonic() + seconds
    not_modified = [0]
    headers = json.loads(os.environ.get("BENCH_HEADERS", "{}"))
    follow = os.environ.get("BENCH_FOLLOW") == "1"

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        cursor, etag = 0, None
        while time.monotonic() < stop:
            if follow:
                path = f"{parts.path}?after={cursor}"
            sent = {**headers, **({"If-None-Match": etag} if follow and etag else {})}
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=sent)
                response = conn.getresponse()
                body = response.read()
                if response.status == 304 and follow:
                    not_modified[0] += 1
                elif response.status != 200:
                    errors[0] += 1
                elif follow:
                    cursor, etag = json.loads(body)["next"], response.getheader("ETag")
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(
        json.dumps(
            {
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
                "requests": len(latencies),
                "errors": errors[0],
                "not_modified": not_modified[0],
            }
        )
    )


def run_load(url, clients, seconds, headers=None, follow=False):
    env = {
        **os.environ,
        "BENCH_HEADERS": json.dumps(headers or {}),
        "BENCH_FOLLOW": "1" if follow else "0",
    }
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load",
            url,
            "--clients",
            str(clients),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def trivial_app():
    from flask import Flask

    app = Flask("trivial")

    @app.get("/")
    def index():
        return {"ok": True, "records": [], "next": 0}

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--train-rows", type=int, default=30_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--page-clients", type=int, default=10)
    parser.add_argument("--train-rounds", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--load")
    args = parser.parse_args()
    if args.load:
        return load_phase(args.load, args.clients, args.seconds)

    work = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    try:
        results = measure(args, work)
    finally:
        from entity.embedded_server import stop_server

        stop_server(work / "data")
        shutil.rmtree(work, ignore_errors=True)
    section = render(results, args)
    print(section)
    if args.write_docs:
        write_section(section, START, END)


def measure(args, work):
    from app import create_app
    from controllers.context import get_store
    from project_library.accounts import service as accounts

    # INFO: the run log records INFO lines (and the request log is on, as in production)
    app = create_app({"DATA_DIR": str(work / "data"), "RUN_WORKERS": 2, "LOG_LEVEL": "INFO"})
    with app.app_context():
        db = get_store()
        user = accounts.register(db, "bench@example.com", "bench-password-123", "Bench", admin=True)
        token = accounts.create_token(db, user, "bench")[1]
        workspace = accounts.create_team_workspace(db, user, "Bench").id
    server = Server(app)
    bench = Bench(app, server.url, token, workspace, work)
    results = {}
    train_table = frame(args.train_rows)
    project, files_root = bench.project("bench", train_table)
    other, _ = bench.project("bench-2", train_table)  # a second training may run beside it

    # 1. Platform vs direct, interleaved rounds; the first platform round also measures the
    # log lag as the run page sees it.
    direct_s, platform_s = [], []
    for number in range(args.train_rounds):
        direct_s.append(bench.direct_training(train_table, number))
        seconds, lags = bench.platform_training(project, follow_logs=number == 0)
        platform_s.append(seconds)
        if number == 0:
            results["log_lag"] = {
                "p50": percentile(lags, 50),
                "p95": percentile(lags, 95),
                "max": max(lags),
                "lines": len(lags),
            }
    ratios = [p / d for p, d in zip(platform_s, direct_s, strict=True)]
    results["train"] = {"direct_s": direct_s, "platform_s": platform_s, "ratios": ratios}

    # 2. Press -> running, threads executor (predictions: several may run at once).
    write_files(files_root / "prediction_batches", frame(200, seed=5, with_target=False), 1)
    press = press_to_running(bench.base, token, workspace, project["id"], 10)
    results["press"] = {"p50": percentile(press, 50), "max": max(press)}

    # 3. Pages while 0, 1 and 2 trainings run; 4. log polling during a training.
    results.update(bench.under_training(args, project, other))

    # 5. Batch prediction of args.rows rows.
    results["predict"] = bench.prediction(args, project, files_root)
    server.stop()
    results["when"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["threads"] = bench.threads
    print(json.dumps(results, indent=1))
    return results


class Bench:
    """The app under measurement and what the measures share."""

    BUDGET = 600  # large enough that every candidate runs in both: the same work

    def __init__(self, app, base, token, workspace, work):
        self.app, self.base, self.token, self.workspace, self.work = (
            app,
            base,
            token,
            workspace,
            work,
        )
        self.nice = app.config.get("RUN_NICE", 10)
        self.threads = app.extensions["run_executor"].threads

    def call(self, method, path, body=None):
        return http(method, f"{self.base}{path}", self.token, body, self.workspace)

    def project(self, name, table):
        body = {
            "name": name,
            "task": "binary",
            "target": "label",
            "id_columns": ["row_id"],
            "training_schema": schema(),
            "prediction_schema": schema(False),
            "time_budget_s": self.BUDGET,
        }
        project = self.call("POST", "/api/v1/projects", body)
        root = Path(self.app.config["DATA_DIR"]) / "files" / self.workspace / project["root"]
        write_files(root / "training_batches", table, 4)
        return project, root

    def direct_training(self, table, number):
        """The pipeline called directly, at the jobs' priority and thread caps (so the ratio
        is the platform's own overhead: queue, log lines, progress, mail)."""
        from cloud_storage.local import LocalStorage
        from entity.project import Project
        from project_library.models import artifacts as model_store
        from project_library.pipelines.runs import training_options
        from project_library.training.train import train
        from project_library.validation import batches as intake
        from thread_layer.priority import lower_this_thread

        root = self.work / f"direct-{number}"
        write_files(root / "p" / "training_batches", table, 4)
        project = Project(
            workspace_id="w",
            name="direct",
            root="p",
            task="binary",
            target="label",
            id_columns=["row_id"],
            training_schema=schema(),
            time_budget_s=self.BUDGET,
            id="direct",
        )
        storage, out = LocalStorage(str(root)), {}

        def run():
            lower_this_thread(self.nice, self.threads)
            began = time.perf_counter()
            result = intake.validate_batches(storage, project, "training")
            data = intake.load_table(storage, project, result, "training")
            trained = train(data, training_options(project))
            model_store.save_model(storage, "p/models", 1, trained.model, {}, "secret")
            out["seconds"] = time.perf_counter() - began

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
        return out["seconds"]

    def platform_training(self, project, follow_logs=False):
        """Press -> succeeded through the API; with ``follow_logs``, poll the log like the
        run page (0.8 s after each answer) and return each line's lag too."""
        pressed = time.time()
        run = self.call("POST", f"/api/v1/projects/{project['id']}/runs", {"kind": "train"})
        seen, lags, cursor = set(), [], 0
        while follow_logs:
            page = self.call("GET", f"/api/v1/runs/{run['id']}/logs?after={cursor}")
            now = time.time()
            for record in page["records"]:
                if record["seq"] not in seen:
                    seen.add(record["seq"])
                    lags.append(now - parse_time(record["time"]))
            cursor = page["next"]
            if page["status"] not in ("queued", "running"):
                break
            time.sleep(0.8)
        done = wait(self.base, self.token, self.workspace, run["id"])
        if done["status"] != "succeeded":
            raise RuntimeError(f"the platform training ended {done['status']}")
        return parse_time(done["finished_at"]) - pressed, lags

    def start_training(self, project):
        return self.call("POST", f"/api/v1/projects/{project['id']}/runs", {"kind": "train"})

    def stop_training(self, run):
        import urllib.error

        try:
            self.call("POST", f"/api/v1/runs/{run['id']}/cancel", {})
        except urllib.error.HTTPError as error:
            if error.code != 409:  # 409: it finished already
                raise
        wait(self.base, self.token, self.workspace, run["id"])

    def under_training(self, args, project, other):
        """A trivial page and a signed-in API page with 0, 1 and 2 trainings running, and the
        log polling of a running training."""
        headers = {"Authorization": f"Bearer {self.token}", "X-Workspace": self.workspace}
        page = f"{self.base}/api/v1/projects"
        trivial = Server(trivial_app())
        out = {"pages": {}}
        out["trivial"] = run_load(trivial.url + "/", args.clients, args.seconds)
        out["pages"][0] = run_load(page, args.page_clients, args.seconds, headers)
        runs = [self.start_training(project)]
        time.sleep(2)  # past the claim and validation: training proper
        out["pages"][1] = run_load(page, args.page_clients, args.seconds, headers)
        out["trivial_training"] = run_load(trivial.url + "/", args.clients, args.seconds)
        out["polling"] = run_load(
            f"{self.base}/api/v1/runs/{runs[0]['id']}/logs",
            args.clients,
            args.seconds,
            headers,
            follow=True,
        )
        out["polling"]["training_status_after"] = self.call("GET", f"/api/v1/runs/{runs[0]['id']}")[
            "status"
        ]
        runs.append(self.start_training(other))
        time.sleep(2)
        out["pages"][2] = run_load(page, args.page_clients, args.seconds, headers)
        out["statuses_after"] = [
            self.call("GET", f"/api/v1/runs/{r['id']}")["status"] for r in runs
        ]
        for run in runs:
            self.stop_training(run)
        trivial.stop()
        return out

    def prediction(self, args, project, files_root):
        from project_library.models import artifacts as model_store
        from project_library.prediction.predict import predict_table
        from thread_layer.priority import lower_this_thread

        shutil.rmtree(files_root / "prediction_batches")
        big = frame(args.rows, seed=9, with_target=False)
        write_files(files_root / "prediction_batches", big, 4)
        del big
        t0 = time.time()
        run = self.call("POST", f"/api/v1/projects/{project['id']}/runs", {"kind": "predict"})
        done = wait(self.base, self.token, self.workspace, run["id"])
        platform_predict = parse_time(done["finished_at"]) - t0
        from cloud_storage.local import LocalStorage

        storage = LocalStorage(str(self.work / "direct-0"))
        model, _ = model_store.load_model(storage, "p/models", 1, "secret")
        baseline = {}

        def baseline_run():
            lower_this_thread(self.nice, self.threads)
            began = time.perf_counter()
            parts = [pd.read_csv(p) for p in sorted((files_root / "prediction_batches").iterdir())]
            data = pd.concat(parts, ignore_index=True)
            data["_source_file"], data["_row"] = "x", np.arange(1, len(data) + 1)
            out = predict_table(model, data, ("row_id",))
            out.to_csv(self.work / "baseline.csv", index=False)
            baseline["seconds"] = time.perf_counter() - began

        worker = threading.Thread(target=baseline_run)  # at the jobs' priority and threads
        worker.start()
        worker.join()
        return {
            "rows": done.get("output_rows"),
            "platform_s": platform_predict,
            "baseline_s": baseline["seconds"],
            "status": done["status"],
        }


def render(r, args):
    t, lag, press, poll, triv, pred = (
        r["train"],
        r["log_lag"],
        r["press"],
        r["polling"],
        r["trivial"],
        r["predict"],
    )
    ratios = sorted(t["ratios"])
    median = ratios[len(ratios) // 2]
    pages = r["pages"]
    rounds = " / ".join(
        f"{p:.1f} vs {d:.1f}" for p, d in zip(t["platform_s"], t["direct_s"], strict=True)
    )
    rows = [
        (
            f"Training: platform (press → succeeded) vs pipeline called directly, "
            f"{len(ratios)} interleaved rounds (s)",
            f"{rounds}; ratios {' / '.join(f'{x:.2f}' for x in t['ratios'])}",
            f"{median:.2f}× (spread {ratios[0]:.2f}–{ratios[-1]:.2f})",
            "≤ 1.10×",
            median <= 1.10,
        ),
        (
            "Press → running (threads executor), max of 10",
            f"p50 {press['p50'] * 1000:.0f} ms, max {press['max'] * 1000:.0f} ms",
            "",
            "≤ 200 ms",
            press["max"] <= 0.2,
        ),
        (
            "Log line written → seen by a 1 s poller, p95",
            f"{lag['p95']:.2f} s (p50 {lag['p50']:.2f}, {lag['lines']} lines)",
            "",
            "≤ 1.5 s",
            lag["p95"] <= 1.5,
        ),
        (
            f"Log polling p99 at {args.clients} clients during training (conditional GETs "
            "following the cursor) vs trivial page p99 (idle)",
            f"{poll['p99']:.0f} ms vs {triv['p99']:.0f} ms ({poll['requests']} requests, "
            f"{poll['not_modified']} of them 304, {poll['errors']} errors; / "
            f"{triv['requests']} requests)",
            f"{poll['p99'] / triv['p99']:.2f}×",
            "≤ 2×",
            poll["p99"] / triv["p99"] <= 2,
        ),
    ]
    for count in (0, 1, 2):
        page = pages[count]
        rows.append(
            (
                f"GET /api/v1/projects p99 at {args.page_clients} clients, {count} training(s) "
                "running, vs the same with none",
                f"{page['p99']:.0f} ms (p50 {page['p50']:.0f}, {page['requests']} requests, "
                f"{page['errors']} errors)",
                f"{page['p99'] / pages[0]['p99']:.2f}×",
                "",
                None,
            )
        )
    rows.append(
        (
            f"Prediction of {pred['rows']} rows end to end vs read_csv + predict + to_csv",
            f"{pred['platform_s']:.1f} s vs {pred['baseline_s']:.1f} s",
            f"{pred['platform_s'] / pred['baseline_s']:.2f}×",
            "≤ 2×",
            pred["platform_s"] / pred["baseline_s"] <= 2,
        )
    )
    tt = r["trivial_training"]
    lines = [
        START,
        "## Runs: platform overhead, latency and prediction throughput",
        "",
        f"`.venv/bin/python bench/runs.py --write-docs --train-rows {args.train_rows} "
        f"--train-rounds {args.train_rounds}` ({r['when']}, 2 shared cores, load average at "
        f"the end {r['load']}; another engineer's training benchmarks ran on the same machine; "
        f"training table {args.train_rows} rows × {FEATURES + 1} features, every candidate in "
        "both; the direct training and the read_csv+predict+to_csv baseline run at the "
        "platform jobs' CPU priority and thread caps (nice 10 `MLP_RUN_NICE`, "
        f"{r.get('threads', 1)} native thread(s) `MLP_RUN_THREADS`) so ratios measure the "
        "platform itself; the app on a threaded werkzeug server with its embedded database, "
        "jobs in its threads executor, load from a separate process).",
        "",
        "| measure | result | ratio | goal | met |",
        "|---|---|---:|---|---|",
    ]
    for label, value, ratio, goal, ok in rows:
        mark = "" if ok is None else ("✓" if ok else "✗")
        lines.append(f"| {label} | {value} | {ratio} | {goal} | {mark} |")
    lines += [
        "",
        f"The trivial page itself answered at p99 {tt['p99']:.0f} ms while a training ran "
        f"(idle: {triv['p99']:.0f} ms): the pages and the training share one process and "
        "its GIL here, as with the threads executor in production.",
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
