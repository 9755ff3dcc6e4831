"""Benchmark: a soak of the whole app, 50 simulated users and 4 trainings for 5 minutes.

The app runs under gunicorn with the repository's gunicorn.conf.py on its embedded database
(a temporary MLP_DATA_DIR). Everything is prepared through the running server, as a person or
a script would: a user registered on the pages, a personal token created on the account page,
four sample projects created with the Projects page's button, their time budget set to
--time-budget seconds with the API. Then, for --warmup seconds (not measured) and --duration
seconds (measured), all at once:

- 4 trainings, one per project, kept going: when one ends the next starts (only when none of
  that project is active, so the 409 "already active" never happens);
- 50 users, each one request after another with a random think time around --think seconds:
  the dashboard (``GET /``), a project page (``GET /projects/<id>``), the file listing of a
  project folder (``GET /files/?connection=…&path=<root>``): Debian's wrk, one process per page
  with a Lua script that rotates the paths and waits the think time (``delay()``); log polling
  of a running training (``GET /api/v1/runs/<id>/logs?after=N``, following ``next``) and
  uploads of small CSV files (``PUT /api/v1/connections/<id>/files``): Python threads with
  http.client, which also drive the trainings. 10 users of each kind by default.

Measured: requests, p50/p95/p99 and errors per page; the RSS of every server process (each
gunicorn worker, the gunicorn master, the embedded database server) after start-up, at the
start and at the end of the measured window, and its growth; the load average; the CPU the
load generator itself used (it shares the 2 cores).

Goals: 0 errors (any answer that is not 2xx, a socket error or a timeout; a training that
does not succeed); RSS growth <= 10% per process from the start to the end of the window.

    .venv/bin/python bench/soak.py [--duration 300] [--write-docs]

Raw output (wrk's, the gunicorn log, RSS samples, every failed request) goes to
bench/out/soak-<stamp>/; --write-docs writes the ``bench:soak`` section of docs/benchmarks.md.
"""

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_section import write_section  # noqa: E402

from bench.web import (  # noqa: E402
    STATUS_SCRIPT,
    USER_AGENT,
    Server,
    cpu_seconds,
    embedded_server_pid,
    machine_facts,
    run_wrk,
    signed_in_cookie,
)
from entity.embedded_server import stop_server  # noqa: E402

START, END = "<!-- bench:soak:start -->", "<!-- bench:soak:end -->"
ACTIVE = ("queued", "running")
OK = (200, 201, 202, 204)
PAGE_KINDS = ("dashboard", "project", "files")
KINDS = (*PAGE_KINDS, "logs", "upload")  # the users' kinds
API_KINDS = ("logs", "upload", "train_start", "train_status")  # timed in Python
LABELS = {
    "dashboard": "dashboard `GET /`",
    "project": "project page `GET /projects/<id>`",
    "files": "file listing `GET /files/?path=<project>`",
    "logs": "log polling `GET /api/v1/runs/<id>/logs?after=N`",
    "upload": "CSV upload `PUT /api/v1/connections/<id>/files`",
    "train_start": "training start `POST /api/v1/projects/<id>/runs`",
    "train_status": "training status `GET /api/v1/runs/<id>`",
}

# Appended to bench/web.py's STATUS_SCRIPT (same chunk, so its `threads` is in scope): rotate
# the paths, wait a think time between a user's requests, keep the first failed answers'
# bodies, and print p95 (wrk's --latency prints 50/75/90/99 only).
PAGE_SCRIPT = """
local paths = {paths}
local status_init, status_response, status_done = init, response, done
function init(args)
  status_init(args)
  counter = 0
  failures = ""
  math.randomseed(os.time() + {seed})
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function delay() return math.random({low_ms}, {high_ms}) end
function response(status, headers, body)
  status_response(status, headers, body)
  if status ~= 200 and #failures < 4000 then
    local text = string.gsub(string.sub(body or "", 1, 300), "%s+", " ")
    failures = failures .. "FAILED " .. status .. " " .. text .. "\\n"
  end
end
function done(summary, latency, requests)
  status_done(summary, latency, requests)
  for _, t in ipairs(threads) do io.write(t:get("failures")) end
  io.write(string.format("P95 %.3f\\nMAXMS %.3f\\n", latency:percentile(95) / 1000,
                         latency.max / 1000))
end
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=300, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=60, help="seconds of load before")
    parser.add_argument("--users", type=int, default=50, help="split evenly over 5 kinds")
    parser.add_argument("--trainings", type=int, default=4, help="projects trained at once")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between requests")
    parser.add_argument("--time-budget", type=int, default=30, help="projects' time_budget_s")
    parser.add_argument("--write-docs", action="store_true")
    return parser.parse_args()


# --- HTTP from Python --------------------------------------------------------------------


class Client:
    """One keep-alive connection, as one user's browser or script holds one."""

    def __init__(self, base, headers):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"User-Agent": USER_AGENT, **headers}
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes, response headers, ms); retries once only when the server had
        closed an idle keep-alive connection before this request reached it."""
        headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            reused = self.conn is not None
            if not reused:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            began = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            ms = (time.perf_counter() - began) * 1000
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, data, response.getheaders(), ms
        raise AssertionError("unreachable")

    def json(self, method, path, payload=None, expect=(200,)):
        body = json.dumps(payload).encode() if payload is not None else None
        kind = {"Content-Type": "application/json"} if body else {}
        status, data, _, _ = self.request(method, path, body, kind)
        if status not in expect:
            raise RuntimeError(f"{method} {path} answered {status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- preparing through the running server -------------------------------------------------


@dataclass
class Setup:
    cookie: str
    token: str
    connection_id: str
    projects: list  # [(id, root)]


def csrf_of(page):
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def post_form(client, path, form):
    """POST a page's form; return the Location and the session cookie it sets."""
    body = urllib.parse.urlencode(form).encode()
    kind = {"Content-Type": "application/x-www-form-urlencoded"}
    status, data, headers, _ = client.request("POST", path, body, kind)
    if status != 302:
        raise RuntimeError(f"POST {path} answered {status}: {data[:300]!r}")
    found = dict((k.lower(), v) for k, v in headers)
    cookie = re.match(r"([^;]+)", found.get("set-cookie", "")).group(1)
    return found["location"], cookie


def create_token(base, cookie, csrf):
    """A personal access token, created on the account page (it shows the token once)."""
    page = Client(base, {"Cookie": cookie})
    _, session = post_form(page, "/account/tokens", {"csrf_token": csrf, "name": "soak"})
    status, data, _, _ = Client(base, {"Cookie": session}).request("GET", "/account")
    found = re.search(r'id="new-token">(mlp_[^<]+)<', data.decode())
    if status != 200 or not found:
        raise RuntimeError("the account page did not show the new token")
    return found.group(1)


def prepare(base, count, time_budget):
    cookie = signed_in_cookie(base)
    page = Client(base, {"Cookie": cookie})
    csrf = csrf_of(page.request("GET", "/")[1].decode())
    token = create_token(base, cookie, csrf)
    for _ in range(count):
        post_form(page, "/projects/sample", {"csrf_token": csrf})
    api = Client(base, {"Authorization": f"Bearer {token}"})
    projects = api.json("GET", "/api/v1/projects")["projects"]
    for project in projects:
        api.json("PATCH", f"/api/v1/projects/{project['id']}", {"time_budget_s": time_budget})
    connection_id = api.json("GET", "/api/v1/connections")[0]["id"]
    return Setup(cookie, token, connection_id, [(p["id"], p["root"]) for p in projects])


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Stats:
    """Latencies and failures of one kind of request, kept only while ``measuring``."""

    measuring: threading.Event
    ms: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    warmup_failures: list = field(default_factory=list)  # before the window: reported apart
    expected_409: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method, path, status, data, ms, ok=OK):
        measuring = self.measuring.is_set()
        with self.lock:
            if measuring:
                self.ms.append(ms)
            if status not in ok:
                text = data[:300].decode(errors="replace") if data else ""
                self.add(measuring, f"{method} {path} -> {status} {text}")

    def fail(self, method, path, error):
        with self.lock:
            self.add(self.measuring.is_set(), f"{method} {path} -> {type(error).__name__}: {error}")

    def add(self, measuring, failure):
        (self.failures if measuring else self.warmup_failures).append(failure)


def call(client, stats, method, path, body=None, headers=None, ok=OK):
    """One measured request; None when it did not get an answer. An answer outside ``ok``
    is a failure."""
    try:
        status, data, _, ms = client.request(method, path, body, headers)
    except (OSError, http.client.HTTPException) as error:
        stats.fail(method, path, error)
        client.close()
        return None
    stats.record(method, path, status, data, ms, ok)
    return status, data


def think(mean_s, stop):
    stop.wait(random.uniform(0.5, 1.5) * mean_s)


class Trainings:
    """Keeps one training going on each project: when it ends, the next one starts."""

    def __init__(self, client, projects, stats, stop):
        self.client, self.projects, self.stop = client, projects, stop
        self.start_stats, self.status_stats = stats
        self.active = {}  # project id -> run id, changed by this thread only
        self.current = ()  # its run ids, published for the log pollers' threads
        self.finished = []  # (status, seconds, message) of runs that ended in the window
        self.started = {}  # run id -> monotonic start
        self.running_counts = []  # trainings seen running at each round in the window

    def run(self):
        while not self.stop.is_set():
            running = 0
            for project_id, _ in self.projects:
                run_id = self.active.get(project_id)
                status = self.status(run_id) if run_id else None
                running += status == "running"
                if run_id is None or status not in (*ACTIVE, None):
                    self.begin(project_id)
                self.current = tuple(self.active.values())
            if self.start_stats.measuring.is_set():
                self.running_counts.append(running)
            self.stop.wait(2)

    def begin(self, project_id):
        self.active.pop(project_id, None)
        path = f"/api/v1/projects/{project_id}/runs"
        body = json.dumps({"kind": "train"}).encode()
        ok = (*OK, 409)  # 409: a training of the project is active; counted, not a failure
        answer = call(self.client, self.start_stats, "POST", path, body, JSON_HEADERS, ok)
        if answer and answer[0] == 202:
            run_id = json.loads(answer[1])["id"]
            self.active[project_id] = run_id
            self.started[run_id] = time.monotonic()
        elif answer and answer[0] == 409:
            self.start_stats.expected_409 += 1

    def status(self, run_id):
        """The run's status (None without an answer); a run that ended is recorded."""
        answer = call(self.client, self.status_stats, "GET", f"/api/v1/runs/{run_id}")
        if not answer or answer[0] != 200:
            return None
        run = json.loads(answer[1])
        if run["status"] not in ACTIVE and self.start_stats.measuring.is_set():
            seconds = time.monotonic() - self.started[run_id]
            self.finished.append((run["status"], seconds, run.get("message") or ""))
        return run["status"]

    def running(self):
        return self.current

    def cancel_all(self):
        for run_id in self.running():
            try:
                self.client.request("POST", f"/api/v1/runs/{run_id}/cancel")
            except (OSError, http.client.HTTPException):
                pass


JSON_HEADERS = {"Content-Type": "application/json"}


def poll_logs(client, trainings, stats, index, args, stop):
    """A user watching a training's log: follows ``next`` until the run ends, then another."""
    run_id, cursor = None, 0
    while not stop.is_set():
        running = trainings.running()
        if run_id is None and running:
            run_id, cursor = running[index % len(running)], 0
        if run_id is not None:
            path = f"/api/v1/runs/{run_id}/logs?after={cursor}"
            answer = call(client, stats, "GET", path)
            if answer and answer[0] == 200:
                page = json.loads(answer[1])
                cursor = page["next"]
                if page["status"] not in ACTIVE:
                    run_id = None
        think(args.think, stop)


def small_csv(rows=20):
    lines = ["id,feature_a,feature_b,feature_c,label"]
    for number in range(rows):
        values = ",".join(f"{random.gauss(0, 1):.5f}" for _ in range(3))
        lines.append(f"R{number:04d},{values},{random.choice('ab')}")
    return ("\n".join(lines) + "\n").encode()


def upload_files(client, setup, stats, index, args, stop):
    """A user uploading small CSV files into a project folder (10 names, replaced in turn)."""
    _, root = setup.projects[index % len(setup.projects)]
    number = 0
    while not stop.is_set():
        name = f"{root}/soak_uploads/user{index:02d}_{number % 10}.csv"
        path = f"/api/v1/connections/{setup.connection_id}/files?" + urllib.parse.urlencode(
            {"path": name}
        )
        headers = {"Content-Type": "application/octet-stream"}
        call(client, stats, "PUT", path, small_csv(), headers)
        number += 1
        think(args.think, stop)


# --- wrk for the pages ----------------------------------------------------------------------


def page_paths(setup):
    files = [
        "/files/?" + urllib.parse.urlencode({"connection": setup.connection_id, "path": root})
        for _, root in setup.projects
    ]
    return {
        "dashboard": ["/"],
        "project": [f"/projects/{pid}" for pid, _ in setup.projects],
        "files": files,
    }


def write_scripts(paths, args, out_dir):
    scripts = {}
    low, high = int(args.think * 500), int(args.think * 1500)
    for seed, (kind, kind_paths) in enumerate(paths.items()):
        lua = "{" + ", ".join(json.dumps(p) for p in kind_paths) + "}"
        script = out_dir / f"{kind}.lua"
        script.write_text(
            STATUS_SCRIPT
            + PAGE_SCRIPT.replace("{paths}", lua)
            .replace("{seed}", str(seed))
            .replace("{low_ms}", str(low))
            .replace("{high_ms}", str(high))
        )
        scripts[kind] = script
    return scripts


def run_pages(base, setup, scripts, paths, users, duration, out_dir, prefix=""):
    """One wrk per page, in parallel, for ``duration`` seconds; {kind: wrk's figures}."""
    results, threads = {}, []

    def one(kind):
        out = out_dir / f"{prefix}{kind}-wrk.txt"
        url = base + paths[kind][0]
        results[kind] = run_wrk(url, users, duration, 1, scripts[kind], setup.cookie, out)
        results[kind].update(parse_extra(out.read_text()))

    for kind in PAGE_KINDS:
        threads.append(threading.Thread(target=one, args=(kind,)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    return results


def parse_extra(text):
    return {
        "p95": float(re.search(r"^P95 ([\d.]+)$", text, re.M).group(1)),
        "max": float(re.search(r"^MAXMS ([\d.]+)$", text, re.M).group(1)),
        "failures": re.findall(r"^FAILED (.*)$", text, re.M),
    }


# --- processes and their memory -----------------------------------------------------------


def rss_kb(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def server_processes(server, data_dir):
    """{label: pid} of every process serving the app."""
    processes = {"gunicorn master": server.proc.pid}
    for number, pid in enumerate(sorted(server.worker_pids()), 1):
        processes[f"gunicorn worker {number}"] = pid
    database = embedded_server_pid(data_dir)
    processes["embedded database"] = database
    for number, pid in enumerate(children(database), 1):
        processes[f"embedded database child {number}"] = pid
    return processes


def snapshot(processes):
    return {label: (pid, rss_kb(pid)) for label, pid in processes.items()}


class RssSampler(threading.Thread):
    """RSS of every process every 10 s, to rss.csv, for the peak."""

    def __init__(self, processes, path, stop):
        super().__init__(daemon=True)
        self.processes, self.path, self.stop = processes, path, stop
        self.peak = {}

    def run(self):
        with open(self.path, "w") as out:
            out.write("seconds," + ",".join(self.processes) + "\n")
            began = time.monotonic()
            while not self.stop.wait(10):
                values = [rss_kb(pid) or 0 for pid in self.processes.values()]
                for label, value in zip(self.processes, values, strict=True):
                    self.peak[label] = max(self.peak.get(label, 0), value)
                out.write(f"{time.monotonic() - began:.0f}," + ",".join(map(str, values)) + "\n")
                out.flush()


# --- the gunicorn log -------------------------------------------------------------------------

REQUEST_LINE = re.compile(r"method=(\S+) path=(\S+) status=(\d+)")


def log_problems(log_path, start, end):
    """Answers that were not 2xx, and error lines, in the log written between the offsets."""
    with open(log_path, "rb") as log:
        log.seek(start)
        text = log.read(end - start).decode(errors="replace")
    answers = Counter()
    errors = []
    for line in text.splitlines():
        found = REQUEST_LINE.search(line)
        if found and not found.group(3).startswith("2"):
            answers[found.groups()] += 1
        elif re.search(r"level=(ERROR|CRITICAL)|Traceback|WORKER TIMEOUT|\[ERROR\]", line):
            errors.append(line[:400])
    return answers, errors


# --- one soak -------------------------------------------------------------------------------


def server_env(work, args):
    env = {
        **os.environ,
        "MLP_DATA_DIR": str(work),
        # 2 run threads per worker by default; 4 per worker so that 4 trainings all run at
        # once whichever worker a start request lands on (no training waits queued).
        "MLP_RUN_WORKERS": str(args.trainings),
    }
    for key in ("MONGODB_URI", "MLP_MONGODB_URI"):
        env.pop(key, None)
    return env


def start_users(base, setup, trainings, stats, args, stop):
    per_kind = args.users // len(KINDS)
    threads = [threading.Thread(target=trainings.run, daemon=True)]
    api = {"Authorization": f"Bearer {setup.token}"}
    for index in range(per_kind):
        threads.append(
            threading.Thread(
                target=poll_logs,
                args=(Client(base, api), trainings, stats["logs"], index, args, stop),
                daemon=True,
            )
        )
        threads.append(
            threading.Thread(
                target=upload_files,
                args=(Client(base, api), setup, stats["upload"], index, args, stop),
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    return threads


def python_result(stats):
    ms = sorted(stats.ms)

    def pct(p):
        return ms[min(len(ms) - 1, int(len(ms) * p / 100))] if ms else float("nan")

    return {
        "requests": len(ms),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": ms[-1] if ms else float("nan"),
        "errors": len(stats.failures),
        "failures": stats.failures,
        "expected_409": stats.expected_409,
    }


def wrk_result(parsed):
    return {
        "requests": parsed["requests"],
        "p50": parsed["p50"],
        "p95": parsed["p95"],
        "p99": parsed["p99"],
        "max": parsed["max"],
        "errors": parsed["socket_errors"] + parsed["non_200"],
        "failures": parsed["failures"],
    }


def warmup_errors(pages, stats):
    """Failures before the window: wrk's counts, then every Python-side failure."""
    found = [
        f"{kind}: {r['socket_errors']} socket errors, {r['non_200']} answers not 200"
        for kind, r in pages.items()
        if r["socket_errors"] or r["non_200"]
    ]
    found += [f for kind in pages for f in pages[kind]["failures"]]
    return found + [f"{kind}: {f}" for kind, s in stats.items() for f in s.warmup_failures]


def loadgen_cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


@dataclass
class Soak:
    """What the measured window needs: the server, its prepared data and the load."""

    args: argparse.Namespace
    server: Server
    setup: Setup
    processes: dict
    stats: dict
    measuring: threading.Event
    out_dir: Path

    def pages(self, duration, prefix=""):
        paths = page_paths(self.setup)
        scripts = write_scripts(paths, self.args, self.out_dir)
        users = self.args.users // len(KINDS)
        base, out_dir = self.server.base, self.out_dir
        return run_pages(base, self.setup, scripts, paths, users, duration, out_dir, prefix)


def measure(args, work, out_dir):
    server = Server("soak", "app:create_app()", out_dir, server_env(work, args))
    stop, measuring = threading.Event(), threading.Event()
    trainings, threads = None, []
    try:
        server.wait_ready("/login")
        setup = prepare(server.base, args.trainings, args.time_budget)
        processes = server_processes(server, work)
        boot = snapshot(processes)
        stats = {kind: Stats(measuring) for kind in API_KINDS}
        api = Client(server.base, {"Authorization": f"Bearer {setup.token}"})
        trainings = Trainings(
            api, setup.projects, (stats["train_start"], stats["train_status"]), stop
        )
        threads = start_users(server.base, setup, trainings, stats, args, stop)
        soak = Soak(args, server, setup, processes, stats, measuring, out_dir)
        print(f"warm-up {args.warmup} s", flush=True)
        log_start = server.log_path.stat().st_size
        warmup = soak.pages(args.warmup, prefix="warmup-")
        facts = measured(soak)
        facts["log_start"] = log_start
        facts["warmup_errors"] = warmup_errors(warmup, stats)
        facts.update(boot=boot, trainings=trainings.finished, running=trainings.running_counts)
        facts["workers_after"] = sorted(server.worker_pids())
        facts["stats"] = {kind: python_result(s) for kind, s in stats.items()}
        return facts
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=70)  # a request in flight ends within the client's timeout
        if trainings is not None:
            trainings.cancel_all()
        server.stop()


def measured(soak):
    """The measured window: RSS, load and CPU at its start and end, the pages' wrk results."""
    facts = {"load_start": os.getloadavg(), "start": snapshot(soak.processes)}
    print(f"measuring {soak.args.duration} s; load {fmt_load(facts['load_start'])}", flush=True)
    sampler_stop = threading.Event()
    sampler = RssSampler(soak.processes, soak.out_dir / "rss.csv", sampler_stop)
    sampler.start()
    cpu_before, server_before = loadgen_cpu(), cpu_seconds(soak.processes.values())
    soak.measuring.set()
    began = time.monotonic()
    pages = soak.pages(soak.args.duration)
    soak.measuring.clear()
    facts["elapsed"] = time.monotonic() - began
    facts["end"] = snapshot(soak.processes)
    facts["log_end"] = soak.server.log_path.stat().st_size
    facts["load_end"] = os.getloadavg()
    facts["loadgen_cpu"] = [a - b for a, b in zip(loadgen_cpu(), cpu_before, strict=True)]
    facts["server_cpu"] = cpu_seconds(soak.processes.values()) - server_before
    sampler_stop.set()
    sampler.join()
    facts["peak"] = sampler.peak
    facts["pages"] = {kind: wrk_result(parsed) for kind, parsed in pages.items()}
    print(f"done; load {fmt_load(facts['load_end'])}", flush=True)
    return facts


def fmt_load(load):
    return " / ".join(f"{x:.2f}" for x in load)


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = ROOT / "bench" / "out" / f"soak-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_facts()
    print(f"load average at start {fmt_load(os.getloadavg())}; output in {out_dir}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        facts = measure(args, work, out_dir)
    finally:
        stop_server(work)
        shutil.rmtree(work, ignore_errors=True)
    log_path = out_dir / "soak-gunicorn.log"
    facts["log_answers"], facts["log_errors"] = log_problems(
        log_path, facts["log_start"], facts["log_end"]
    )
    write_raw(facts, out_dir)
    section = render(facts, args, machine)
    (out_dir / "section.md").write_text(section + "\n")
    print(section)
    print(f"load average at end {fmt_load(os.getloadavg())}")
    if args.write_docs:
        write_section(section, START, END)


# --- the report -------------------------------------------------------------------------------


def results_by_kind(facts):
    results = {**facts["pages"], **facts["stats"]}
    return {kind: results[kind] for kind in LABELS}


def request_table(facts, args):
    users = args.users // len(KINDS)
    lines = [
        "| request | users | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, r in results_by_kind(facts).items():
        who = users if kind in KINDS else f"{args.trainings} trainings"
        lines.append(
            f"| {LABELS[kind]} | {who} | {r['requests']:,} | {r['requests'] / facts['elapsed']:.1f}"
            f" | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['max']:.0f}"
            f" | {r['errors']} |"
        )
    return lines


def growth(start, end):
    return (end - start) / start * 100 if start and end else float("nan")


def rss_table(facts):
    lines = [
        "| process | pid | RSS after start-up MB | window start MB | window end MB | growth "
        "| peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, (pid, start) in facts["start"].items():
        boot, end = facts["boot"][label][1], facts["end"][label][1]
        peak = facts["peak"].get(label)
        lines.append(
            f"| {label} | {pid} | {mb(boot)} | {mb(start)} | {mb(end)} "
            f"| {growth(start, end):+.1f}% | {mb(peak)} |"
        )
    return lines


def mb(kb):
    return "gone" if not kb else f"{kb / 1024:.0f}"


def training_summary(facts):
    done = Counter(status for status, _, _ in facts["trainings"])
    seconds = [s for status, s, _ in facts["trainings"] if status == "succeeded"]
    mean = f"{sum(seconds) / len(seconds):.0f} s" if seconds else "—"
    states = ", ".join(f"{n} {status}" for status, n in sorted(done.items())) or "none"
    counts = facts["running"]
    at_once = sum(counts) / len(counts) if counts else float("nan")
    conflicts = facts["stats"]["train_start"]["expected_409"]
    return done, (
        f"Trainings that ended in the window: {states} (mean {mean} from the start request "
        f"to the end seen by the 2-second status poll); trainings running at once, sampled "
        f"every round of that poll: {at_once:.1f} on average, {min(counts, default=0)} at the "
        f"least; 409 answers to a start: {conflicts}."
    )


def verdicts(facts):
    results = results_by_kind(facts)
    errors = sum(r["errors"] for r in results.values())
    done, _ = training_summary(facts)
    unsuccessful = sum(n for status, n in done.items() if status != "succeeded")
    growths = {
        label: growth(start, facts["end"][label][1]) for label, (_, start) in facts["start"].items()
    }
    worst_label = max(growths, key=lambda label: growths[label])
    worst = growths[worst_label]
    ok = errors + unsuccessful == 0
    lines = [
        f"- errors: {errors} answers not 2xx, socket errors or timeouts, and {unsuccessful} "
        f"trainings that did not succeed (goal 0): {'met' if ok else 'MISSED'}",
        f"- RSS growth over the window: at most {worst:+.1f}% ({worst_label}; goal <= 10% for "
        f"every process): {'met' if worst <= 10 else 'MISSED'}",
    ]
    if facts["workers_after"] != sorted(
        pid for label, (pid, _) in facts["start"].items() if label.startswith("gunicorn worker")
    ):
        lines.append(f"- gunicorn workers were replaced: now {facts['workers_after']}")
    warmup = facts["warmup_errors"]
    lines.append(f"- errors during the warm-up (not in the table): {len(warmup) or 'none'}")
    return lines


def failure_lines(facts, limit=10):
    lines = []
    for kind, r in results_by_kind(facts).items():
        for failure in r["failures"][:limit]:
            lines.append(f"- {kind}: `{failure[:300]}`")
    for failure in facts["warmup_errors"][:limit]:
        lines.append(f"- warm-up: `{failure[:300]}`")
    for (method, path, status), count in facts["log_answers"].most_common(limit):
        lines.append(f"- gunicorn log: {count} x `{method} {path}` answered {status}")
    for line in facts["log_errors"][:limit]:
        lines.append(f"- gunicorn log: `{line[:300]}`")
    return lines


def render(facts, args, machine):
    users = args.users // len(KINDS)
    own, wrk = facts["loadgen_cpu"]
    _, trainings = training_summary(facts)
    window = facts["elapsed"]
    lines = [
        START,
        "## Soak: 50 users and 4 trainings (`bench/soak.py`)",
        "",
        f"`.venv/bin/python bench/soak.py {' '.join(sys.argv[1:])}`, "
        f"{machine['date']}, {machine['cores']} cores ({machine['cpu']}, shared), commit "
        f"{machine['commit']}, Python {machine['python']}, gunicorn {machine['gunicorn']}, "
        f"Debian wrk {machine['wrk']}. Load average (1/5/15 min) at the start of the window "
        f"{fmt_load(facts['load_start'])}, at its end {fmt_load(facts['load_end'])}.",
        "",
        "gunicorn with gunicorn.conf.py (2 workers x 4 threads, gthread) on the embedded "
        f"database, `MLP_RUN_WORKERS={args.trainings}` (run threads per worker, so that the "
        f"{args.trainings} trainings all run whichever worker takes them), everything else "
        "default (request log, scheduler, watchdog on). Prepared through the server: a user "
        "registered on the pages, a token from the account page, "
        f"{args.trainings} sample projects from the Projects page, `time_budget_s` "
        f"{args.time_budget} by PATCH. Load for {args.warmup} s of warm-up, then {window:.0f} s "
        f"measured: {args.trainings} trainings kept going (a new one as soon as one ends), and "
        f"{users * len(KINDS)} users ({users} per kind), each sending one request after another "
        f"with a think time of {args.think * 0.5:g}–{args.think * 1.5:g} s. Pages: Debian wrk, one "
        "process per page (1 thread, one connection per user, a Lua script rotating the 4 "
        "projects and waiting the think time); log polling (following `next`, switching to "
        "another training when one ends), uploads (20-row CSV files, 10 names per user replaced "
        "in turn) and the trainings: Python threads with http.client, timed around each "
        "request. Errors: any answer not 2xx, socket errors, timeouts.",
        "",
        *request_table(facts, args),
        "",
        trainings,
        "",
        *rss_table(facts),
        "",
        f"RSS from /proc/<pid>/status (VmRSS): after start-up and preparation, at the start and "
        f"the end of the measured window (both under full load, trainings running), and the "
        f"peak of 10-second samples in the window. Load generator CPU in the window: "
        f"{own:.1f} s Python, {wrk:.1f} s wrk ({(own + wrk) / window * 100:.0f}% of one core); "
        f"the server's processes: {facts['server_cpu']:.0f} s "
        f"({facts['server_cpu'] / window * 100:.0f}% of one core).",
        "",
        *verdicts(facts),
    ]
    failures = failure_lines(facts)
    if failures:
        lines += [
            "",
            "Failed requests (the first of each kind; all of them in bench/out/), and the "
            "gunicorn log's answers not 2xx and error lines from the warm-up and the window:",
            *failures,
        ]
    lines.append(END)
    return "\n".join(lines)


def write_raw(facts, out_dir):
    """Every failure and the figures as JSON, beside wrk's output and the gunicorn log."""
    with open(out_dir / "failures.txt", "w") as out:
        for kind, r in results_by_kind(facts).items():
            for failure in r["failures"]:
                out.write(f"{kind}: {failure}\n")
        for failure in facts["warmup_errors"]:
            out.write(f"warm-up: {failure}\n")
        for (method, path, status), count in facts["log_answers"].most_common():
            out.write(f"gunicorn log: {count} x {method} {path} -> {status}\n")
        for line in facts["log_errors"]:
            out.write(f"gunicorn log: {line}\n")
    summary = {k: v for k, v in facts.items() if k != "log_answers"}
    summary["log_answers"] = [[*key, n] for key, n in facts["log_answers"].items()]
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
