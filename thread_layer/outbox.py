"""The outbox sender: delivers queued run emails over SMTP, retrying with exponential back-off.

Why a thread of its own, and not a step of the ticker: an SMTP server that accepts and never
answers holds an attempt for its whole timeout, and schedules, watchers and the watchdog must
not wait behind it. The thread lives only while there is mail to send: a process that queues
a mail wakes its sender (``wake``), and the ticker wakes it for mail that another process
left behind (``wake_if_due``). With any number of processes, each attempt is made by exactly
one of them (``OutboxRepository.claim_due``). An attempt that fails is retried after
``retry_s``, then twice that, and so on, up to ``max_attempts``; a refusal (a 5xx answer) is
not retried. A process that dies while sending leaves a claim that is retaken later, so a
mail is sent at least once (twice only if a process died between the server's "250 OK" and
the record of it).
"""

import logging
import threading
from datetime import timedelta

from pymongo.errors import PyMongoError

from entity.records import now
from entity.run import worker_identity
from integration.mail import permanent

logger = logging.getLogger(__name__)

IDLE_RECHECK_S = 5.0  # a database error in the loop: look again after this long


class OutboxSender:
    def __init__(self, store, smtp, *, retry_s=30, max_attempts=5, clock=now, worker=None):
        self.store = store
        self.smtp = smtp
        self.retry_s = float(retry_s)
        self.max_attempts = max(1, int(max_attempts))
        # a claim older than this is of a process that died while sending
        self.claim_stale = timedelta(seconds=max(60.0, 10 * smtp.timeout_s))
        self.clock = clock
        self.worker = worker or worker_identity()
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._thread = None

    def wake(self):
        """Deliver what is due, in the background; start the thread if it is not running."""
        with self._lock:
            self._wanted.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="outbox", daemon=True)
                self._thread.start()

    def wake_if_due(self):
        """The ticker's step: wake the sender when mail is due that nobody is sending."""
        moment = self.clock()
        if self.store.outbox.has_due(moment, moment - self.claim_stale):
            self.wake()

    def _loop(self):
        while True:
            self._wanted.clear()
            try:
                self.deliver_due()
                pause = self._until_next()
            except PyMongoError as exc:  # the database is away: look again in a while
                logger.warning("outbox_unavailable error=%s", type(exc).__name__)
                pause = IDLE_RECHECK_S
            with self._lock:
                if pause is None and not self._wanted.is_set():
                    self._thread = None  # nothing queued: the next wake starts a new thread
                    return
            self._wanted.wait(pause)

    def _until_next(self):
        """Seconds until the next queued mail is due; None when nothing is queued."""
        due = self.store.outbox.next_attempt_at()
        if due is None:
            return None
        return max(0.0, (due - self.clock()).total_seconds())

    def deliver_due(self):
        """Attempt every mail that is due now, one at a time; return how many were tried."""
        tried = 0
        while True:
            moment = self.clock()
            message = self.store.outbox.claim_due(moment, self.worker, moment - self.claim_stale)
            if message is None:
                return tried
            self._attempt(message)
            tried += 1

    def _attempt(self, message):
        outbox = self.store.outbox
        try:
            self.smtp.send(message["to"], message["subject"], message["body"])
        except Exception as exc:  # noqa: BLE001 - an attempt's boundary: record it, go on
            error = f"{type(exc).__name__}: {exc}"[:300]
            attempts = message.get("attempts", 0) + 1
            if permanent(exc) or attempts >= self.max_attempts:
                outbox.failed(message, error)
                logger.warning(
                    "mail_failed mail=%s attempts=%d error=%s", message["_id"], attempts, error
                )
                return
            retry_in = self.retry_s * 2 ** (attempts - 1)
            outbox.retry_at(message, error, self.clock() + timedelta(seconds=retry_in))
            logger.info(
                "mail_retry mail=%s attempts=%d in_s=%.0f error=%s",
                message["_id"],
                attempts,
                retry_in,
                error,
            )
            return
        outbox.sent(message)
        logger.info("mail_sent mail=%s to=%s", message["_id"], ",".join(message["to"]))
