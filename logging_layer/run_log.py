"""A run's log as a ``logging.Handler``: every line logged while a run executes lands in it.

A job opens ``run_scope(repository, run)`` around the run's body. Inside it, any
``logging.getLogger(__name__)`` line emitted by that thread (a pipeline step, a storage
retry, a library warning) passes ``RunContextFilter``, which stamps the workspace, project and
run ids on the record (as redash's ``CurrentJobFilter`` does), and ``RunLogHandler`` writes it
to MongoDB with the run's sequence number, level and current step. Lines are plain key=value
text, never HTML. ``install_run_log`` puts the handler on the root logger once per process.
"""

import contextvars
import logging
import threading
import time
from contextlib import contextmanager

from entity.records import now
from entity.run_log import PAGE

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# While lines cannot be written (the database is away), say so in the server log at most
# this often instead of a traceback per line.
FAILURE_NOTICE_S = 30.0

logger = logging.getLogger(__name__)

_current = contextvars.ContextVar("mlp_run_scope", default=None)


class RunScope:
    """The run the current thread's log lines belong to, and the step it is at."""

    def __init__(self, repository, run):
        self.repository = repository
        self.run_id = run.id
        self.workspace_id = run.workspace_id
        self.project_id = run.project_id
        self.step = "start"
        self._lock = threading.Lock()
        self._seq = repository.last_seq(run.id)

    def write(self, level, text):
        with self._lock:
            self._seq += 1
            record = {
                "run_id": self.run_id,
                "workspace_id": self.workspace_id,
                "seq": self._seq,
                "time": now(),
                "level": level if level in LEVELS else "ERROR",
                "step": self.step,
                "message": text,
            }
            self.repository.append(record)
        return record

    def text(self):
        return render(self.repository.lines(self.run_id))


@contextmanager
def run_scope(repository, run):
    """Send this thread's log lines to ``run``'s log until the block ends."""
    scope = RunScope(repository, run)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


class RunContextFilter(logging.Filter):
    """Stamp ``run_id``, ``workspace_id`` and ``project_id`` on every record ('-' outside a run)."""

    def filter(self, record):
        scope = _current.get()
        record.run_id = scope.run_id if scope else "-"
        record.workspace_id = scope.workspace_id if scope else "-"
        record.project_id = scope.project_id if scope else "-"
        return True


class RunLogHandler(logging.Handler):
    """Write the records emitted inside a ``run_scope`` to that run's log."""

    def __init__(self, level=logging.DEBUG):
        super().__init__(level)
        self.addFilter(RunContextFilter())
        self._writing = threading.local()
        self._failure_lock = threading.Lock()
        self._failure_said_at = None

    def emit(self, record):
        scope = _current.get()
        if scope is None or getattr(self._writing, "active", False):
            return  # not in a run, or a line logged while writing a line (no recursion)
        self._writing.active = True
        try:
            scope.write(record.levelname, record.getMessage())
        except Exception as error:  # noqa: BLE001 - logging must never break the run it records
            self._say_failure(scope, error)
        finally:
            self._writing.active = False

    def _say_failure(self, scope, error):
        """One server-log line per ``FAILURE_NOTICE_S`` while writes fail (the handler itself
        ignores it: it is emitted while this thread is writing)."""
        moment = time.monotonic()
        with self._failure_lock:
            said = self._failure_said_at
            if said is not None and moment - said < FAILURE_NOTICE_S:
                return
            self._failure_said_at = moment
        logger.warning(
            "run_log_write_failed run=%s error=%s: run log lines are dropped while this lasts "
            "(said at most every %.0f s)",
            scope.run_id,
            type(error).__name__,
            FAILURE_NOTICE_S,
        )


def install_run_log(root=None):
    """Add the one RunLogHandler to the root logger (idempotent)."""
    root = root or logging.getLogger()
    if not any(isinstance(h, RunLogHandler) for h in root.handlers):
        root.addHandler(RunLogHandler())


def page(repository, run_id, after=0, limit=PAGE):
    """Records after ``after`` and the cursor to pass next time."""
    records = repository.lines(run_id, after, limit)
    cursor = records[-1]["seq"] if records else int(after)
    return [to_json(r) for r in records], cursor


def to_json(record):
    return {
        "seq": record["seq"],
        "time": record["time"].isoformat(),
        "level": record["level"],
        "step": record.get("step"),
        "message": record["message"],
    }


def render(records):
    return "".join(
        f"{r['time'].strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} {r['level']:<7} "
        f"[{r.get('step') or '-'}] {r['message']}\n"
        for r in records
    )


def last_lines(repository, run_id, count=15):
    return render(repository.last(run_id, count))
