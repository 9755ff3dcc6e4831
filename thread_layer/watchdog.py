"""The run watchdog: runs and validations whose process stopped are settled, not left running.

Every claimed run beats (``thread_layer.heartbeat``) every few seconds. A run whose heartbeat
is older than ``stale_s`` (``MLP_RUN_STALE_SECONDS``, well above the beat) lost its worker: the
process died, or it lost the database and its thread ended without a record. The watchdog
ends it ``interrupted`` with words a person can act on (``cancelled`` when a cancel was asked
for), releases its project's training lock so the next Train starts, and fails the
validation it was reading. A validation started outside a run (a "Validate now" whose
request died) is failed once it has been running longer than ``stale_s`` with no active run
reading it.

It runs on each tick of every ticker (web processes, Celery workers): each settlement is one
conditioned ``find_one_and_update``, so with any number of processes exactly one settles a
run. Its clock is the wall clock the heartbeats are stamped with, never the ticker's
injectable one.
"""

import logging
from datetime import timedelta

from entity.records import now
from logging_layer.run_log import run_scope

logger = logging.getLogger(__name__)

RUN_STOPPED = "The run stopped responding (its worker died or lost the database); start it again."
VALIDATION_STOPPED = (
    "The validation stopped before it finished (its process died, lost the database or hit "
    "an unexpected error); validate again."
)


class Watchdog:
    def __init__(self, store, stale_s, clock=now):
        self.store = store
        self.stale = timedelta(seconds=float(stale_s))
        self.clock = clock

    def check(self):
        """Settle every stale run and validation; return how many runs were settled."""
        cutoff = self.clock() - self.stale
        settled = [run for run in self.store.runs.stale(cutoff) if self._settle(run)]
        for report in self.store.validations.running_since(cutoff):
            if self.store.runs.validating(report["id"]) is None:
                self._fail_validation(report["workspace_id"], report["id"])
        return len(settled)

    def _settle(self, run):
        settled = self.store.runs.settle_stale(run, RUN_STOPPED)
        if settled is None:
            return False
        with run_scope(self.store.run_logs, settled):
            age = (self.clock() - run.heartbeat_at).total_seconds() if run.heartbeat_at else -1
            logger.warning(
                "run_%s by the watchdog: no heartbeat for %.0f s (worker %s)",
                settled.status,
                age,
                run.worker or "-",
            )
        if run.validation_id:
            self._fail_validation(run.workspace_id, run.validation_id)
        return True

    def _fail_validation(self, workspace_id, validation_id):
        if self.store.validations.fail_if_running(workspace_id, validation_id, VALIDATION_STOPPED):
            logger.warning("validation_failed validation=%s by the watchdog", validation_id)
