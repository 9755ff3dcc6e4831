"""Start real service processes (database, emulators, SMTP, Redis) for the tests."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_executable(name, extra_dirs=()):
    for folder in (VENV_BIN, *extra_dirs):
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed; run the README's test command")
    return found


class ServiceProcess:
    """A background process started for tests, stopped (with its children) on ``stop``."""

    def __init__(self, name, argv, ready, log_dir, env=None, timeout=60, cwd=None, unset=()):
        self.name = name
        self.cwd = cwd
        self.argv = argv
        self.ready = ready
        self.timeout = timeout
        self.log_path = Path(log_dir) / f"{name}.log"
        self.env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k not in unset}
        self.proc = None

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.log_path}"
                )
            try:
                if self.ready():
                    return self
            except Exception:  # noqa: BLE001 - not ready yet, whatever the reason
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready after {self.timeout}s; see {self.log_path}")

    def pause(self):
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)


def port_open(port, host="127.0.0.1"):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


README_CELERY_WORKER = ("celery", "-A", "thread_layer.celery_app", "worker", "--concurrency=2")


def readme_celery_worker_argv():
    """The worker exactly as the README starts one (run it from the project folder, with no
    PYTHONPATH): the ``celery`` command, not ``python -m celery``, which would put the
    working directory on sys.path for good and hide an import that only works from there."""
    return [str(VENV_BIN / README_CELERY_WORKER[0]), *README_CELERY_WORKER[1:]]


def celery_worker(name, root, log_dir, env, ready, node=False, timeout=60):
    """A Celery worker started as the README says: its command, from the project folder,
    with no PYTHONPATH of the test's. ``node`` adds only a node name (``-n name@host``), so
    that several workers can run side by side and be told apart."""
    argv = readme_celery_worker_argv() + (["-n", f"{name}@%h"] if node else [])
    return ServiceProcess(
        name, argv, ready, log_dir, env=env, timeout=timeout, cwd=str(root), unset=("PYTHONPATH",)
    )


def app_env(config):
    """The MLP_* settings another process needs to share a test app's database, files and
    keys (``config``: the app's config, or the test's ``app_config``)."""
    return {
        f"MLP_{key}": config[key]
        for key in ("MONGODB_URI", "MONGODB_DB", "DATA_DIR", "SECRET_KEY", "ENCRYPTION_KEY")
    }
