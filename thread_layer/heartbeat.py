"""A claimed run's heartbeat, from a thread of its own, while the run executes.

A pipeline reports progress only between steps, and one step (a validation of large files,
a candidate model) can take many minutes. The heartbeat stamps the run every few seconds
however long a step takes, so the watchdog (``thread_layer.watchdog``) can tell a run that
is busy from a run whose worker died, and only the second is ever settled. When a beat finds
the run no longer held by this worker (the watchdog settled it, another worker took it
over), ``lost`` is set and the job stops at its next step without writing anything more.
"""

import logging
import threading

from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(runs, run, interval_s):`` beats until the block ends."""

    def __init__(self, runs, run, interval_s):
        self.runs = runs
        self.run = run
        self.interval_s = float(interval_s)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run.id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(timeout=self.interval_s + 5)

    def _beat(self):
        failing = False
        while not self._stop.wait(self.interval_s):
            try:
                held = self.runs.beat(self.run.id, self.run.worker)
            except PyMongoError as exc:  # the database is away: beat again next time
                if not failing:
                    logger.warning(
                        "heartbeat_failed run=%s error=%s", self.run.id, type(exc).__name__
                    )
                failing = True
                continue
            failing = False
            if not held:
                logger.warning("run_lost run=%s reason=no longer held by this worker", self.run.id)
                self.lost.set()
                return
