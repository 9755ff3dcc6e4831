"""Benchmark: Train/Predict press -> run ``running`` under Celery with Redis (goal <= 1 s).

Starts redis-server and one Celery worker on free ports, the app with MLP_EXECUTOR=celery on
its embedded database, trains a small project once, then presses Predict --presses times and
measures press (client clock, before the POST) -> ``started_at`` of the run record.

    .venv/bin/python bench/runs_celery.py --write-docs
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_section import write_section  # noqa: E402

from bench.runs import (  # noqa: E402
    Server,
    frame,
    http,
    percentile,
    press_to_running,
    schema,
    wait,
    write_files,
)

START, END = "<!-- bench:runs-celery:start -->", "<!-- bench:runs-celery:end -->"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError("service did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=10)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    processes = []
    try:
        port = free_port()
        processes.append(
            subprocess.Popen(
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        redis_url = f"redis://127.0.0.1:{port}/0"
        from app import create_app
        from controllers.context import get_store
        from project_library.accounts import service as accounts

        app = create_app(
            {
                "DATA_DIR": str(work / "data"),
                "EXECUTOR": "celery",
                "REDIS_URL": redis_url,
                "LOG_LEVEL": "WARNING",
            }
        )
        env = {
            **os.environ,
            "MLP_REDIS_URL": redis_url,
            "MLP_MONGODB_URI": app.config["MONGODB_URI"],
            "MLP_MONGODB_DB": app.config["MONGODB_DB"],
            "MLP_DATA_DIR": app.config["DATA_DIR"],
            "MLP_SECRET_KEY": app.config["SECRET_KEY"],
            "MLP_ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
        }
        log = work / "worker.log"
        with open(log, "wb") as out:
            processes.append(
                subprocess.Popen(
                    [  # the README's worker command, from the project folder
                        str(Path(sys.executable).with_name("celery")),
                        "-A",
                        "thread_layer.celery_app",
                        "worker",
                        "--concurrency=2",
                        "--without-gossip",
                        "--without-mingle",
                        "--loglevel=INFO",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={k: v for k, v in env.items() if k != "PYTHONPATH"},
                    cwd=ROOT,
                    start_new_session=True,
                )
            )
        until(lambda: "ready." in log.read_text(errors="replace"))
        with app.app_context():
            db = get_store()
            user = accounts.register(db, "bench@example.com", "bench-password-123", "Bench")
            token = accounts.create_token(db, user, "bench")[1]
            workspace = accounts.create_team_workspace(db, user, "Bench").id
        server = Server(app)
        base = server.url
        body = {
            "name": "bench",
            "task": "binary",
            "target": "label",
            "id_columns": ["row_id"],
            "training_schema": schema(),
            "prediction_schema": schema(False),
            "time_budget_s": 5,
        }
        project = http("POST", f"{base}/api/v1/projects", token, body, workspace)
        root = Path(app.config["DATA_DIR"]) / "files" / workspace / project["root"]
        write_files(root / "training_batches", frame(2000), 2)
        write_files(root / "prediction_batches", frame(200, seed=4, with_target=False), 1)
        run = http(
            "POST",
            f"{base}/api/v1/projects/{project['id']}/runs",
            token,
            {"kind": "train"},
            workspace,
        )
        assert wait(base, token, workspace, run["id"])["status"] == "succeeded"
        press = press_to_running(base, token, workspace, project["id"], args.presses)
        server.stop()
    finally:
        for process in reversed(processes):
            if process.args[0] == "redis-server":
                process.terminate()
            else:
                os.killpg(process.pid, 15)  # the worker and its pool children
            process.wait(timeout=20)
        from entity.embedded_server import stop_server

        stop_server(work / "data")
        shutil.rmtree(work, ignore_errors=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ok = max(press) <= 1.0
    section = (
        "\n".join(
            [
                START,
                "## Runs under Celery: press → running",
                "",
                "`.venv/bin/python bench/runs_celery.py --write-docs` "
                f"({when}, 2 shared cores; Redis "
                "and one Celery worker with 2 processes on this machine, the app on its embedded "
                "database). Press = client clock before the POST; running = the run record's "
                "`started_at` (the worker's claim).",
                "",
                "| presses | p50 | max | goal | met |",
                "|---:|---:|---:|---|---|",
                f"| {len(press)} | {percentile(press, 50) * 1000:.0f} ms "
                f"| {max(press) * 1000:.0f} ms | ≤ 1 s | {'✓' if ok else '✗'} |",
                "",
                END,
            ]
        )
        + "\n"
    )
    print(section)
    if args.write_docs:
        write_section(section, START, END)


if __name__ == "__main__":
    main()
