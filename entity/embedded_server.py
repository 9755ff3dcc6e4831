"""Start, find and stop the embedded MongoDB-wire server (SecantusDB) of a data folder.

SecantusDB is GPL, so it is run as a separate process and spoken to over the wire protocol,
never imported. Only one process may open a data folder, so the first app process of a folder
starts the server and records its pid and port in ``mongo/server.json``; every later process
(gunicorn workers, CLI commands, Celery workers) finds it there and connects over TCP. A file
lock serialises the check-and-start so two processes starting at once do not race.

When the server's process dies (a crash, the OOM killer, ``kill -9``), the first app process
whose driver notices (``keep_alive``) starts it again on the same folder and port, under the
same lock, so every process's URI stays valid. A server stopped on purpose (``stop_server``,
``flask db stop``) has no ``server.json`` left and stays stopped.
"""

import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from entity.db import close_client, when_unreachable

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 60


class EmbeddedServerError(RuntimeError):
    pass


def ensure_server(data_dir, cache_size="256M"):
    """Return the URI of the data folder's server, starting it if none answers."""
    folder = Path(data_dir) / "mongo"
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / "server.lock"):
        running = _running_server(folder)
        if running:
            return running
        return _start_again(folder, cache_size)


def _start_again(folder, cache_size):
    """Start the server on the port its last run had, when there was one (processes still
    running hold that URI), else, or when that port is taken now, on a free one."""
    info = _read_info(folder)
    if info:
        try:
            return _start(folder, cache_size, info["port"])
        except EmbeddedServerError as exc:
            logger.warning("embedded_db=port_taken port=%s reason=%s", info["port"], exc)
    return _start(folder, cache_size)


def keep_alive(uri, data_dir, cache_size="256M"):
    """Start the server of ``uri`` again whenever this process finds it died."""
    when_unreachable(uri, lambda: revive(data_dir, cache_size))


def revive(data_dir, cache_size="256M"):
    """Start the data folder's server again on its port if its process died; return its URI
    then, else None (it runs, another process revived it first, or it was stopped)."""
    folder = Path(data_dir) / "mongo"
    if not _died(folder):  # the common case, without waiting for the lock
        return None
    with _locked(folder / "server.lock"):
        if not _died(folder):
            return None
        port = _read_info(folder)["port"]
        logger.warning("embedded_db=died restarting=true port=%s", port)
        return _start(folder, cache_size, port)


def _died(folder):
    info = _read_info(folder)
    return bool(info) and not _alive(info["pid"])


def stop_server(data_dir):
    """Stop the data folder's server if it runs; return True when one was stopped."""
    folder = Path(data_dir) / "mongo"
    with _locked(folder / "server.lock"):
        info = _read_info(folder)
        if not info or not _alive(info["pid"]):
            (folder / "server.json").unlink(missing_ok=True)  # died before: stays stopped
            return False
        os.kill(info["pid"], signal.SIGTERM)
        deadline = time.monotonic() + 15
        while _alive(info["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(info["pid"]):  # WiredTiger recovers from a hard stop; do not hang forever
            os.kill(info["pid"], signal.SIGKILL)
        (folder / "server.json").unlink(missing_ok=True)
        close_client(_uri(info["port"]))  # stopped on purpose: no reviving, no reconnecting
        return True


@contextmanager
def _locked(path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_info(folder):
    try:
        return json.loads((folder / "server.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def _running_server(folder):
    info = _read_info(folder)
    if not info or not _alive(info.get("pid", -1)):
        return None
    uri = _uri(info["port"])
    return uri if _answers(uri, timeout_s=5) else None


def _start(folder, cache_size, port=None):
    port = port or _free_port()
    executable = _executable()
    log = open(folder / "server.log", "ab")
    try:
        proc = subprocess.Popen(
            [
                executable,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--storage-path",
                str(folder / "data"),
                "--cache-size",
                cache_size,
                "--log-level",
                "WARNING",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the process that started it (e.g. a gunicorn worker)
        )
    finally:
        log.close()
    uri = _uri(port)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmbeddedServerError(
                f"The embedded database exited at start (code {proc.returncode}); "
                f"its log is {folder / 'server.log'}"
            )
        if _answers(uri, timeout_s=0.5):
            (folder / "server.json").write_text(json.dumps({"pid": proc.pid, "port": port}))
            logger.info("embedded_db=started pid=%s port=%s", proc.pid, port)
            return uri
        time.sleep(0.1)
    proc.kill()
    raise EmbeddedServerError("The embedded database did not answer within 60 seconds.")


def _executable():
    candidate = Path(sys.executable).parent / "secantusd-py"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("secantusd-py")
    if not found:
        raise EmbeddedServerError(
            "secantusd-py is not installed: install requirements.txt, or set MONGODB_URI."
        )
    return found


def _uri(port):
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def _answers(uri, timeout_s):
    client = MongoClient(
        uri, serverSelectionTimeoutMS=int(timeout_s * 1000), connectTimeoutMS=int(timeout_s * 1000)
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _alive(pid):
    try:  # reap it if it is our own exited child, or it lingers as a zombie
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return not _zombie(pid)


def _zombie(pid):
    """A dead process another process has not reaped yet (it still answers ``kill 0``)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
