"""Runs deletion jobs: at once on a thread of the process that asked, and again in whichever
process finds one whose holder stopped beating (a periodic step of the ticker, and a
start-up step), so a process killed mid-way never leaves a deletion half done.

A job is claimed atomically (``DeletionRepository.claim``) and beats from a thread of its
own while it runs (``thread_layer.heartbeat``); with any number of processes one executes
it at a time. When a beat or a progress write finds the job taken over, this process stops
and writes nothing more. Once the job ends, the audit event says who deleted what, how it
went and how many objects and records were removed.
"""

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

from pymongo.errors import ConnectionFailure

from entity.run import worker_identity
from exception_layer.errors import AppError
from project_library import audit
from project_library.deletion.steps import ClaimLost, JobContext, steps_for
from thread_layer.heartbeat import Heartbeat

logger = logging.getLogger(__name__)


def utcnow():
    return datetime.now(UTC)


class DeletionRunner:
    def __init__(self, store, *, heartbeat_s=10.0, stale_s=120.0, clock=utcnow, run_wait_s=None):
        self.store = store
        self.heartbeat_s = float(heartbeat_s)
        self.stale_s = float(stale_s)
        self.clock = clock
        self.run_wait_s = float(run_wait_s or 2 * stale_s)  # a dead run's watchdog, and more

    def begin(self, request, *args):
        """Ask for a deletion with ``request(store, *args)`` (a ``project_library.deletion.
        requests`` function) and start its job; return the job as asked."""
        deletion = request(self.store, *args)
        self.start(deletion.id)
        return deletion

    def start(self, deletion_id):
        """Claim the job and execute it on a thread of its own; None when another process
        holds it (it is under way there)."""
        claimed = self.store.deletions.claim(deletion_id, self._worker(), self._stale_before())
        if claimed is None:
            return None
        thread = threading.Thread(
            target=self.execute_claimed, args=(claimed,), name=f"deletion-{deletion_id}"
        )
        thread.daemon = True
        thread.start()
        return thread

    def resume_stale(self):
        """Take over the jobs nobody beats for (their process died); return their threads."""
        threads = []
        for deletion_id in self.store.deletions.resumable(self._stale_before()):
            thread = self.start(deletion_id)
            if thread is not None:
                logger.info("deletion_resumed deletion=%s", deletion_id)
                threads.append(thread)
        return threads

    def execute_claimed(self, deletion):
        """Run every step of a claimed job, then settle it and record the audit event."""
        with Heartbeat(self.store.deletions, deletion, self.heartbeat_s) as heartbeat:
            context = JobContext(
                self.store,
                deletion,
                partial(self._report, deletion, heartbeat),
                run_wait_s=self.run_wait_s,
            )
            try:
                for name, step in steps_for(deletion):
                    context.report(step=name)
                    step(context)
            except ClaimLost:
                logger.warning("deletion_lost deletion=%s", deletion.id)
                return None
            except ConnectionFailure:  # the database is away: a later process resumes it
                logger.warning("deletion_paused deletion=%s reason=database away", deletion.id)
                return None
            except AppError as exc:
                return self._settle(deletion, "failed", exc.message)
            except Exception:  # noqa: BLE001 - the job's boundary: say so, never lose it
                error_id = uuid.uuid4().hex[:12]
                logger.exception("deletion_failed deletion=%s error_id=%s", deletion.id, error_id)
                return self._settle(
                    deletion, "failed", f"An unexpected error stopped it (error id {error_id})."
                )
            return self._settle(deletion, "deleted")

    def _report(self, deletion, heartbeat, *, step=None, objects=0, records=0):
        if heartbeat.lost.is_set():
            raise ClaimLost(deletion.id)
        if not self.store.deletions.progress(deletion, step=step, objects=objects, records=records):
            raise ClaimLost(deletion.id)

    def _settle(self, deletion, state, error=None):
        finished = self.store.deletions.finish(deletion, state, error)
        if finished is None:
            return None
        logger.info(
            "deletion_%s deletion=%s target=%s:%s objects=%d records=%d",
            state,
            finished.id,
            finished.target["type"],
            finished.target["id"],
            finished.counts["objects"],
            finished.counts["records"],
        )
        try:
            record_event(self.store, finished)
        except Exception:  # noqa: BLE001 - the deletion is done; the missing event is logged
            logger.exception("deletion_audit_failed deletion=%s", finished.id)
        return finished

    def _worker(self):
        """One identity per attempt: two threads of a process never share a claim."""
        return f"{worker_identity()}:{uuid.uuid4().hex[:8]}"

    def _stale_before(self):
        return self.clock() - timedelta(seconds=self.stale_s)


def record_event(store, deletion):
    """The audit event of a finished deletion, with its counts."""
    target = deletion.target
    audit.record(
        store,
        workspace_id=deletion.workspace_id,
        actor=deletion.requested_by or "deletion",
        action=f"{target['type']}.delete",
        target={"type": target["type"], "id": target["id"], "name": target.get("name")},
        outcome="ok" if deletion.state == "deleted" else "failed",
        details={
            "deletion_id": deletion.id,
            "files": deletion.files if target["type"] == "project" else None,
            "objects": deletion.counts["objects"],
            "records": deletion.counts["records"],
            "error": deletion.error,
            **({"project_id": target["project_id"]} if target.get("project_id") else {}),
        },
    )
