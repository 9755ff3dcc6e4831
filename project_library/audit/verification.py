"""Walk the audit chains and report, per workspace, the first event that was edited, removed
or reordered.

An event is *edited* when its hash no longer matches its content, *reordered* when its
content is intact but sits at another sequence number (or links to the wrong predecessor),
and *removed* when a sequence number is missing: in the middle, at the end (the head is
further on), or at the start while the events before it are younger than the retention
period (older ones were cut by the TTL index, which is expected and reported as the cut).
"""

from dataclasses import dataclass
from datetime import timedelta

from entity.audit import GENESIS, event_hash
from entity.records import now

REORDER_WINDOW = 1000  # how far from its place a moved event is looked for
TTL_SLACK = timedelta(days=1)  # the TTL monitor deletes late, never early


@dataclass
class ChainReport:
    workspace_id: str | None
    events: int = 0
    problem: str | None = None  # "edited", "removed" or "reordered"
    seq: int | None = None  # where the chain breaks
    message: str = "ok"
    cut: dict | None = None  # {"seq", "prev_hash"} of the oldest event, when older ones expired

    @property
    def ok(self):
        return self.problem is None

    def to_dict(self):
        return {
            "workspace_id": self.workspace_id,
            "ok": self.ok,
            "events": self.events,
            "problem": self.problem,
            "seq": self.seq,
            "message": self.message,
            "cut": self.cut,
        }


def verify(store, workspace_id=None, *, retention_days=None, moment=None):
    """One ChainReport per workspace (only ``workspace_id``'s when given)."""
    days = retention_days or store.audit_retention_days
    oldest_allowed = (moment or now()) - timedelta(days=float(days)) + TTL_SLACK
    chains = [workspace_id] if workspace_id is not None else store.audit.workspace_ids()
    return [verify_chain(store.audit, chain, oldest_allowed) for chain in chains]


def verify_chain(repository, workspace_id, oldest_allowed):
    """The report of one chain; ``oldest_allowed``: a cut must be before this time."""
    report = ChainReport(workspace_id)
    previous = None
    for event in repository.chain(workspace_id):
        report.events += 1
        problem = _check(event, previous, oldest_allowed, report)
        if problem:
            report.problem, report.seq, report.message = problem
            return report
        previous = event
    _check_tail(repository.head(workspace_id), previous, report)
    return report


def _check(event, previous, oldest_allowed, report):
    """(problem, seq, message) for the first thing wrong with ``event``, or None."""
    seq = event.get("seq")
    if event_hash(event) != event.get("hash"):
        moved_from = _moved_from(event)
        if moved_from is not None:
            return "reordered", seq, f"event {seq} was moved here from position {moved_from}"
        return "edited", seq, f"event {seq} ({event.get('action')}) was edited"
    if previous is None:
        return _check_start(event, oldest_allowed, report)
    if seq != previous["seq"] + 1:
        missing = previous["seq"] + 1
        return "removed", missing, f"event {missing} was removed (next found: {seq})"
    if event.get("prev_hash") != previous["hash"]:
        return "reordered", seq, f"event {seq} does not follow event {previous['seq']}"
    return None


def _check_start(event, oldest_allowed, report):
    """The oldest surviving event: the genesis, or a cut made by retention."""
    if event["seq"] == 1:
        if event.get("prev_hash") != GENESIS:
            return "edited", 1, "event 1 does not start the chain"
        return None
    prev_time = event.get("prev_time")
    if prev_time is None or prev_time > oldest_allowed:
        return (
            "removed",
            event["seq"] - 1,
            (f"events before {event['seq']} were removed before the retention period ended"),
        )
    report.cut = {"seq": event["seq"], "prev_hash": event.get("prev_hash")}
    return None


def _check_tail(head, last, report):
    """The head records the last event appended: a shorter chain lost its end."""
    if head is None:
        return
    last_seq = last["seq"] if last else 0
    if last_seq < head["seq"]:
        report.problem, report.seq = "removed", last_seq + 1
        report.message = f"events {last_seq + 1} to {head['seq']} were removed from the end"
    elif last_seq == head["seq"] and last["hash"] != head["hash"]:
        report.problem, report.seq = "edited", last_seq
        report.message = f"event {last_seq} was replaced"


def _moved_from(event):
    """The sequence number at which an intact event was written, if it now sits elsewhere."""
    seq = event.get("seq") or 0
    for candidate in range(max(1, seq - REORDER_WINDOW), seq + REORDER_WINDOW + 1):
        if candidate != seq and event_hash({**event, "seq": candidate}) == event.get("hash"):
            return candidate
    return None
