"""Benchmark: the app's pages under load, against a trivial Flask page served the same way.

In one run, both served by gunicorn with gunicorn.conf.py (same workers and threads):
  (a) the baseline: bench/trivial_app.py, one small cached Jinja template;
  (b) the app on its embedded database in a temporary MLP_DATA_DIR: the sign-in page
      (GET /login, anonymous), the dashboard (GET /) and the sample project's page
      (GET /projects/<id>), both signed in with a session cookie of a user registered for
      the run.
Each page is loaded with Debian's wrk (package ``wrk``) at --connections (50) and at
--low-connections (10) for --duration seconds. Every response that is not 200 counts as an
error (a Lua hook in wrk counts them), as do wrk's socket errors.

    .venv/bin/python bench/web.py [--duration 30 --connections 50] [--no-docs]

Goals (issue 16; ratios to the baseline measured in the same run): p99 <= 3x, throughput
>= 0.3x at --connections, 0 errors. Results go between the ``bench:web`` markers of
docs/benchmarks.md; raw wrk output goes to bench/out/.
"""

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_section import write_section  # noqa: E402

from entity.embedded_server import stop_server  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:web -->", "<!-- /bench:web -->"
VENV_BIN = Path(sys.executable).parent
# flask-login's "strong" session protection binds a session to the client's address and
# User-Agent, so the sign-in and the load send the same one.
USER_AGENT = "mlp-bench-web"

# Counts responses whose status is not 200 across wrk's threads (a 302 to /login from the
# dashboard would otherwise pass as a success).
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("NON200 %d\\n", total))
end
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--low-connections", type=int, default=10)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds that share --duration"
    )
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each page")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    return parser.parse_args()


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn, started with the repository's gunicorn.conf.py on a free port."""

    def __init__(self, name, target, log_dir, env):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}-gunicorn.log"
        argv = [
            str(VENV_BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "-b",
            f"127.0.0.1:{self.port}",
            target,
        ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, path, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} was not ready after {timeout}s; see {self.log_path}")

    def worker_pids(self):
        found = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        return [int(pid) for pid in found]

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def signed_in_cookie(base):
    """Register a fresh user through the pages and return the Cookie header that signs it in."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/register", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token,
        "email": f"bench-{secrets.token_hex(4)}@example.com",
        "password": secrets.token_urlsafe(16),
        "display_name": "Bench User",
    }
    with opener.open(base + "/register", urllib.parse.urlencode(form).encode(), timeout=60) as r:
        if r.status != 200 or "/login" in r.geturl():
            raise RuntimeError(f"registration failed: {r.status} {r.geturl()}")
    page = opener.open(base + "/", timeout=30).read().decode()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token}).encode()
    with opener.open(base + "/projects/sample", data, timeout=120) as r:
        project_path = urllib.parse.urlsplit(r.geturl()).path
        if r.status != 200 or not project_path.startswith("/projects/"):
            raise RuntimeError(f"the sample project was not created: {r.status} {r.geturl()}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    for path in ("/", project_path):
        request = urllib.request.Request(
            base + path, headers={"Cookie": cookie, "User-Agent": USER_AGENT}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
            if response.status != 200 or "Sign out" not in body:
                raise RuntimeError(f"the session cookie does not open {path}")
    return cookie, project_path


GOAL_P99, GOAL_THROUGHPUT = 3.0, 0.3

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value, unit):
    return float(value) * UNIT_MS[unit]


def parse_wrk(text):
    def percentile(p):
        match = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return _ms(*match.groups())

    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
        text,
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    non_200 = re.search(r"NON200 (\d+)", text)
    return {
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50": percentile(50),
        "p99": percentile(99),
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
        "non_200": max(
            int(non_200.group(1)) if non_200 else 0, int(non_2xx.group(1)) if non_2xx else 0
        ),
    }


def run_wrk(url, connections, duration, threads, script, cookie=None, out=None):
    argv = [
        "wrk",
        "-t",
        str(min(threads, connections)),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    argv.append(url)
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    if out:
        out.write_text(
            " ".join(a if not a.startswith("Cookie") else "Cookie: …" for a in argv)
            + "\n\n"
            + result.stdout
            + result.stderr
        )
    return parse_wrk(result.stdout)


def measure(args, pages, script, out_dir):
    """Load each page in turn, round after round, so a burst of other work on the shared
    machine hits every page alike; each page gets --duration seconds in all."""
    slice_s = max(1, round(args.duration / args.rounds))
    results = {}
    for connections in (args.connections, args.low_connections):
        rounds = {page: [] for page in pages}
        cpu_s = {page: 0.0 for page in pages}
        for url, cookie, _pids in pages.values():
            if args.warmup:
                run_wrk(url, connections, args.warmup, args.wrk_threads, script, cookie)
        for number in range(args.rounds):
            for page, (url, cookie, pids) in pages.items():
                out = out_dir / f"{page}-c{connections}-r{number + 1}.txt"
                before = cpu_seconds(pids)
                r = run_wrk(url, connections, slice_s, args.wrk_threads, script, cookie, out)
                cpu_s[page] += cpu_seconds(pids) - before
                rounds[page].append(r)
        for page, runs in rounds.items():
            r = combine(runs, slice_s)
            r["cpu_ms"] = cpu_s[page] * 1000 / max(r["requests"], 1)
            results[(page, connections)] = r
            print(
                f"{page:9} c={connections:3} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms"
                f"  p99 {r['p99']:7.1f} ms  errors {r['socket_errors'] + r['non_200']}"
                f"  CPU {r['cpu_ms']:.2f} ms/request",
                flush=True,
            )
    return results


def cpu_seconds(pids):
    """User + system CPU time the processes have used so far (0 for one that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def embedded_server_pid(data_dir):
    return json.loads((Path(data_dir) / "mongo" / "server.json").read_text())["pid"]


def combine(runs, slice_s):
    """Throughput over all rounds; latency percentiles as the median of the rounds'."""
    return {
        "requests": sum(r["requests"] for r in runs),
        "rps": sum(r["requests"] for r in runs) / (slice_s * len(runs)),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "p99_rounds": [r["p99"] for r in runs],
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "non_200": sum(r["non_200"] for r in runs),
    }


def machine_facts():
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break

    def output(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "?"

    wrk_version = output(["dpkg-query", "-W", "-f", "${Version}", "wrk"]) or "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": model,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "gunicorn": output([str(VENV_BIN / "gunicorn"), "--version"]).split()[-1].strip("()"),
        "wrk": wrk_version,
        "commit": output(["git", "rev-parse", "--short", "HEAD"]),
    }


def gunicorn_settings():
    namespace = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 - our own config
    return namespace["workers"], namespace["threads"], namespace["worker_class"]


def render(results, args, facts, settings, env_overrides):
    workers, threads, worker_class = settings
    base_hi = results[("baseline", args.connections)]
    base_lo = results[("baseline", args.low_connections)]
    lines = [
        START,
        "## Foundation: web pages (bench/web.py)",
        "",
        f"Measured {facts['date']} on {facts['cores']} cores ({facts['cpu']}), load average "
        f"before the run {facts['load']}, after it {facts['load_after']} (the machine is "
        f"shared), commit {facts['commit']}, "
        f"Python {facts['python']}, gunicorn {facts['gunicorn']}, Debian wrk {facts['wrk']}.",
        "",
        f"Command: `.venv/bin/python bench/web.py --duration {args.duration} "
        f"--connections {args.connections} --low-connections {args.low_connections}`",
        "",
        f"Both servers run gunicorn with gunicorn.conf.py: {workers} workers x {threads} threads "
        f"({worker_class}){env_overrides}; the app on its embedded database (SecantusDB, "
        "started by the app in a temporary MLP_DATA_DIR), request logging on as in production. "
        f"wrk: {args.wrk_threads} threads, keep-alive, {args.duration} s per row after a "
        f"{args.warmup} s warm-up, in {args.rounds} interleaved rounds (baseline, sign-in, "
        "dashboard, project page in turn, so a burst of other work on the shared machine hits "
        "them all alike): requests/s over all rounds, p50 and p99 the median of the rounds' (each "
        "round's p99 in brackets). Baseline: bench/trivial_app.py (one small cached template). "
        "The dashboard and the project page are loaded with the session cookie of a user "
        "registered for the run, whose workspace holds the sample project (its page: schemas, "
        "batch counts, validations, models, schedules, serving). "
        "Errors = socket errors + responses other than 200. Server CPU ms/request = user+system "
        "CPU time of the gunicorn workers (plus, for the app, the embedded database process) "
        "during the measured runs divided by the requests served: unlike requests/s it hardly "
        "depends on what else the shared machine is doing.",
        "",
        "| page | connections | requests/s | p50 ms | p99 ms | errors | server CPU ms/request "
        "| throughput vs baseline | p99 vs baseline | CPU/request vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for connections, base in ((args.connections, base_hi), (args.low_connections, base_lo)):
        for page in ("baseline", "login", "dashboard", "project"):
            r = results[(page, connections)]
            errors = r["socket_errors"] + r["non_200"]
            rps_ratio, p99_ratio = r["rps"] / base["rps"], r["p99"] / base["p99"]
            label = {
                "baseline": "baseline (trivial page)",
                "login": "GET /login",
                "dashboard": "GET / (signed in)",
                "project": "GET /projects/<id> (signed in)",
            }[page]
            cpu_ratio = r["cpu_ms"] / base["cpu_ms"] if base["cpu_ms"] else float("nan")
            ratios = (
                ("—", "—", "—")
                if page == "baseline"
                else (f"{rps_ratio:.2f}x", f"{p99_ratio:.2f}x", f"{cpu_ratio:.1f}x")
            )
            rounds_p99 = " / ".join(f"{x:.0f}" for x in r["p99_rounds"])
            lines.append(
                f"| {label} | {connections} | {r['rps']:,.0f} | {r['p50']:.1f} | "
                f"{r['p99']:.1f} ({rounds_p99}) | {errors} | {r['cpu_ms']:.2f} | "
                f"{ratios[0]} | {ratios[1]} | {ratios[2]} |"
            )
            if page != "baseline":
                ok = (
                    p99_ratio <= GOAL_P99
                    and errors == 0
                    and (connections != args.connections or rps_ratio >= GOAL_THROUGHPUT)
                )
                verdicts.append((label, connections, ok, rps_ratio, p99_ratio, errors))
    lines += [
        "",
        f"Goals (issue 16): p99 <= {GOAL_P99:g}x the baseline's, throughput >= "
        f"{GOAL_THROUGHPUT:g}x (at {args.connections} connections), 0 errors.",
    ]
    for label, connections, ok, rps_ratio, p99_ratio, errors in verdicts:
        goals = "the goals" if connections == args.connections else "the p99 and error goals"
        missed = [
            name
            for name, failed in (
                ("throughput", connections == args.connections and rps_ratio < GOAL_THROUGHPUT),
                ("p99", p99_ratio > GOAL_P99),
                ("errors", errors > 0),
            )
            if failed
        ]
        status = f"meets {goals}" if ok else f"MISSES {' and '.join(missed)}"
        lines.append(
            f"- {label} at {connections} connections: {status} "
            f"(throughput {rps_ratio:.2f}x, p99 {p99_ratio:.2f}x, {errors} errors)."
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    facts = machine_facts()
    settings = gunicorn_settings()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out_dir = ROOT / "bench" / "out" / f"web-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    script = out_dir / "status.lua"
    script.write_text(STATUS_SCRIPT)
    data_dir = Path(tempfile.mkdtemp(prefix="mlp-bench-web-"))

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MONGODB_URI", "MLP_MONGODB_URI", "GUNICORN_BIND")
    }
    env["MLP_DATA_DIR"] = str(data_dir)
    overrides = [f"{k}={env[k]}" for k in ("GUNICORN_WORKERS", "GUNICORN_THREADS") if k in env]
    env_overrides = f" (overridden: {', '.join(overrides)})" if overrides else ""

    servers = []
    try:
        app = Server("app", "app:create_app()", out_dir, env)
        servers.append(app)
        baseline = Server("baseline", "bench.trivial_app:create_app()", out_dir, env)
        servers.append(baseline)
        app.wait_ready("/login")
        baseline.wait_ready("/")
        cookie, project_path = signed_in_cookie(app.base)
        app_pids = app.worker_pids() + [embedded_server_pid(data_dir)]
        pages = {
            "baseline": (baseline.base + "/", None, baseline.worker_pids()),
            "login": (app.base + "/login", None, app_pids),
            "dashboard": (app.base + "/", cookie, app_pids),
            "project": (app.base + project_path, cookie, app_pids),
        }
        results = measure(args, pages, script, out_dir)
        facts["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        for server in servers:
            server.stop()
        stop_server(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)

    section = render(results, args, facts, settings, env_overrides)
    print(section)
    if not args.no_docs:
        write_section(section, START, END)
        print(f"wrote {DOCS.relative_to(ROOT)}; raw wrk output in {out_dir.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
