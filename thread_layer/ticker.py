"""The ticker: every few seconds, in every serving process and Celery worker, settle runs
whose heartbeat went stale (``thread_layer.watchdog``), fire the schedules that are due, poll
the watched folders that are due, and wake the outbox sender for mail left behind.

Correct with any number of processes ticking at once, with no leader: a due schedule is
claimed with one atomic update that moves its ``next_run_at`` forward (``ScheduleRepository.
claim``), the slot's run carries a unique ``(schedule_id, scheduled_for)``, and a claim whose
process died is retaken by another ticker (``retry_claims``). A watcher is claimed the same
way for each poll. Each step has one try/except: a failure is logged, the ticker goes on.
"""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from pymongo.errors import ConnectionFailure, PyMongoError

from entity.run import SlotTaken, worker_identity
from exception_layer.errors import AppError, Conflict, NotFound, ValidationError
from integration.registry import project_storage
from project_library import audit
from project_library.automation import timing
from project_library.automation.watching import folder_listing, look
from project_library.validation import service as validation
from thread_layer.runs import new_run, start_run

logger = logging.getLogger(__name__)


def utcnow():
    return datetime.now(UTC)


class Ticker:
    def __init__(
        self,
        store,
        executor,
        mailer,
        *,
        tick_s=5,
        watch_interval_s=30,
        watch_quiet_s=60,
        clock=utcnow,
        worker=None,
        watchdog=None,
        outbox=None,
        deletions=None,
    ):
        self.store = store
        self.executor = executor
        self.mailer = mailer
        self.watchdog = watchdog  # a thread_layer.watchdog.Watchdog, or None
        self.outbox = outbox  # a thread_layer.outbox.OutboxSender, or None
        self.deletions = deletions  # a thread_layer.deletion.DeletionRunner, or None
        self.tick_s = float(tick_s)
        self.watch_interval = timedelta(seconds=float(watch_interval_s))
        self.watch_quiet_s = float(watch_quiet_s)
        self.clock = clock
        self.worker = worker or worker_identity()
        self._stop = threading.Event()
        self._thread = None
        self._pass_started = time.monotonic()

    # -- the loop -----------------------------------------------------------------------
    def start(self):
        """Tick in a daemon thread until ``stop()``."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="ticker", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout=10):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self):
        logger.info("ticker_started worker=%s every_s=%.1f", self.worker, self.tick_s)
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self._pause_s())

    def _pause_s(self):
        """Until the next tick, or sooner when a schedule is due before it (so a schedule
        fires on time, not up to a tick late)."""
        try:
            soonest = self.store.schedules.soonest()
        except PyMongoError:  # the database is away: tick at the usual pace
            return self.tick_s
        if soonest is None:
            return self.tick_s
        return min(self.tick_s, max(0.05, (soonest - self.clock()).total_seconds()))

    def tick(self, moment=None):
        """One pass: stale runs first (so their training locks are free for this pass), due
        schedules, claims left behind, due watchers, then mail left behind."""
        moment = moment or self.clock()
        self._pass_started = time.monotonic()
        steps = (
            self.settle_stale,
            self.fire_due,
            self.retry_claims,
            self.poll_watchers,
            self.wake_outbox,
            self.resume_deletions,
        )
        for step in steps:
            try:
                step(moment)
            except ConnectionFailure:  # every step needs the database: wait for the next tick
                logger.warning("ticker_skipped step=%s reason=database unreachable", step.__name__)
                return
            except Exception:  # noqa: BLE001 - the ticker's boundary: log, keep ticking
                logger.exception("ticker_step_failed step=%s", step.__name__)

    # -- the watchdog and the outbox -----------------------------------------------------
    def settle_stale(self, moment):
        """Runs and validations whose process stopped (by the wall clock, not ``moment``:
        heartbeats are stamped with it)."""
        if self.watchdog is not None:
            self.watchdog.check()

    def resume_deletions(self, moment):
        """Finish the deletions whose process died (``thread_layer.deletion``)."""
        if self.deletions is not None:
            self.deletions.resume_stale()

    def wake_outbox(self, moment):
        if self.outbox is not None:
            self.outbox.wake_if_due()

    # -- schedules ----------------------------------------------------------------------
    def fire_due(self, moment):
        for schedule in self.store.schedules.due(moment):
            self._guarded(self._fire_due_one, schedule, moment)

    def retry_claims(self, moment):
        for schedule in self.store.schedules.stale_claims(self._now(moment)):
            self._guarded(self._retry_one, schedule, moment)

    def _guarded(self, step, schedule, moment):
        """One schedule's failure is logged and never stops the others of the pass."""
        try:
            step(schedule, moment)
        except Exception:  # noqa: BLE001 - per schedule: log, go on with the next one
            logger.exception("schedule_failed schedule=%s", schedule.id)

    def _now(self, moment):
        """``moment`` advanced by the time this pass has taken so far, so a claim made late
        in a long pass is stamped when it was made (and not retaken while in progress)."""
        return moment + timedelta(seconds=time.monotonic() - self._pass_started)

    def _fire_due_one(self, schedule, moment):
        now = self._now(moment)
        try:
            slot, passed = timing.latest_due(
                schedule.spec, schedule.next_run_at, now, schedule.anchor
            )
            next_at = timing.next_run(schedule.spec, now, schedule.anchor)
        except ValidationError as exc:  # a stored timing that no longer reads: pause it
            self._pause_broken(schedule, now, exc.message)
            return
        claimed = self.store.schedules.claim(schedule, slot, next_at, self.worker, now, passed)
        if claimed is not None:
            self.fire(claimed, slot, now)

    def _retry_one(self, schedule, moment):
        retaken = self.store.schedules.retake(schedule, self.worker, self._now(moment))
        if retaken is not None:
            logger.info("schedule_claim_retaken schedule=%s", schedule.id)
            self.fire(retaken, retaken.pending["slot"], self._now(moment))

    def _pause_broken(self, schedule, now, reason):
        logger.warning("schedule_paused schedule=%s reason=%s", schedule.id, reason)
        outcome = {
            "status": "paused",
            "run_id": None,
            "slot": None,
            "at": now,
            "reason": f"Paused: its timing could not be computed ({reason})",
        }
        self.store.schedules.update(
            schedule.workspace_id, schedule.id, paused=True, last_outcome=outcome
        )

    def fire(self, schedule, slot, moment):
        """Record the run of a claimed slot (started, skipped or missed), then settle it."""
        pending = schedule.pending or {}
        try:
            project = self.store.projects.get(schedule.workspace_id, schedule.project_id)
        except NotFound:  # the project is gone: so is its schedule
            self.store.schedules.delete(schedule.workspace_id, schedule.id)
            return
        options = {
            "trigger": {
                "type": "schedule",
                "schedule_id": schedule.id,
                "description": schedule.description,
                "scheduled_for": slot.isoformat(),
            },
            "schedule_id": schedule.id,
            "scheduled_for": slot,
        }
        late_s = (moment - slot).total_seconds()
        try:
            if late_s > schedule.misfire_grace_s and not pending.get("waiting"):
                run = self._record(
                    project,
                    schedule,
                    "missed",
                    _missed(schedule, slot, late_s, pending.get("passed", 0)),
                    options,
                )
            else:
                run = self._start(project, schedule, slot, options)
        except SlotTaken:  # a process that stopped before settling had recorded it
            run = self.store.runs.for_slot(schedule.id, slot)
        if run is not False:
            self.store.schedules.settle(schedule.id, slot, _outcome(run, slot, moment))

    def _start(self, project, schedule, slot, options):
        """Start the slot's run; a run still active is skipped or waited for (``overlap``).
        Returns the run, or False when the slot waits."""
        active = self.store.runs.active(project.workspace_id, project.id, schedule.kind)
        if active is None:
            try:
                run = start_run(
                    self.store,
                    self.executor,
                    project.workspace_id,
                    project.id,
                    schedule.kind,
                    None,
                    **options,
                )
                return _audited_start(self.store, run, "scheduler")
            except SlotTaken:
                raise
            except Conflict as exc:  # a training started meanwhile
                reason = exc.message
        else:
            word = _kind_word(schedule.kind)
            reason = f"A {word} of this project was still {active.status} (run {active.id})."
        if schedule.overlap == "queue":
            self.store.schedules.wait(schedule.id, slot)
            return False
        return self._record(project, schedule, "skipped", reason, options)

    def _record(self, project, schedule, status, reason, options):
        run = new_run(self.store, project.workspace_id, project.id, schedule.kind, **options)
        run = self.store.runs.record(run, status, reason)
        logger.info("schedule_%s schedule=%s run=%s reason=%s", status, schedule.id, run.id, reason)
        day = run.created_at.date().isoformat()
        if self.store.schedules.first_notice_today(schedule.id, status, day):
            self.mailer.notify(run, project, status)
        return run

    # -- watchers -----------------------------------------------------------------------
    def poll_watchers(self, moment):
        for watcher in self.store.watchers.claim_due(moment, moment + self.watch_interval):
            try:
                self.poll(watcher, moment)
            except AppError as exc:  # storage unreachable, project gone: said on the page
                self.store.watchers.record_poll(
                    watcher,
                    seen=watcher.seen,
                    pending=watcher.pending,
                    moment=moment,
                    error=exc.message,
                )

    def poll(self, watcher, moment):
        """Look at each watched folder once; act on a burst of new files that has settled."""
        project = self.store.projects.get(watcher.workspace_id, watcher.project_id)
        storage = project_storage(self.store, project)
        seen, pending, last_run = dict(watcher.seen), dict(watcher.pending), None
        for batch in _watched(watcher):
            current = folder_listing(storage, project, batch)
            if batch not in seen:  # just switched on: what is there now is the baseline
                seen[batch], pending[batch] = current, {}
                continue
            result = look(seen[batch], pending.get(batch, {}), current, moment, self.watch_quiet_s)
            started = self._act(watcher, project, batch, result.ready) if result.ready else None
            if started:
                last_run = started
                seen[batch], pending[batch] = result.seen_after, result.pending_after
            else:
                seen[batch], pending[batch] = result.seen, result.pending
        self.store.watchers.record_poll(
            watcher, seen=seen, pending=pending, moment=moment, last_run=last_run
        )

    def _act(self, watcher, project, batch, names):
        """Start what the watcher does for ``names``; None when it must wait (and retry)."""
        trigger = {"type": "watcher", "batch": batch, "files": list(names)}
        at = self.clock().isoformat()
        try:
            if batch == "prediction":
                run = start_run(
                    self.store,
                    self.executor,
                    project.workspace_id,
                    project.id,
                    "predict",
                    None,
                    trigger=trigger,
                    files="new",
                    input_names=list(names),
                )
            elif watcher.training == "train":
                run = start_run(
                    self.store,
                    self.executor,
                    project.workspace_id,
                    project.id,
                    "train",
                    None,
                    trigger=trigger,
                )
            else:
                report = validation.validate(self.store, project, "training")
                logger.info("watcher_validated project=%s files=%d", project.id, len(names))
                return {"validation_id": report["id"], "batch": batch, "files": names, "at": at}
        except Conflict as exc:  # a training is active: the files stay new, tried next poll
            logger.info("watcher_waits project=%s reason=%s", project.id, exc.message)
            return None
        logger.info("watcher_started project=%s run=%s files=%d", project.id, run.id, len(names))
        _audited_start(self.store, run, "watcher")
        return {"run_id": run.id, "batch": batch, "files": names, "at": at}


def _audited_start(store, run, actor):
    """Record ``run.start`` by the system actor that started ``run``; return the run."""
    audit.record(
        store,
        workspace_id=run.workspace_id,
        actor=actor,
        action="run.start",
        target=audit.target_of("run", run.id, run.kind),
        details={"project_id": run.project_id, "kind": run.kind},
    )
    return run


def _watched(watcher):
    if watcher.training != "off":
        yield "training"
    if watcher.prediction:
        yield "prediction"


def _kind_word(kind):
    return "training" if kind == "train" else "prediction"


def _missed(schedule, slot, late_s, passed):
    zone = schedule.spec.get("timezone", "UTC")
    when = timing.local_iso(slot, zone)[:16].replace("T", " ")
    more = f" ({passed} earlier slot(s) too)" if passed else ""
    return (
        f"The platform was not running at {when} ({zone}){more}; it came back "
        f"{late_s / 60:.0f} min later, past the {schedule.misfire_grace_s / 60:.0f} min grace "
        "window, so this slot was not run."
    )


def _outcome(run, slot, moment):
    return {
        "status": run.status if run else "recorded",
        "run_id": run.id if run else None,
        "slot": slot,
        "at": moment,
        "reason": run.message if run and run.status in ("skipped", "missed") else None,
    }
