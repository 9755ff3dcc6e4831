"""What a storage watcher decides from one look at a batch folder: which files are new,
which are still arriving, and when a burst of them is complete enough to act on.

Pure functions over plain dicts, so the rules are tested without storage or a clock:
``seen`` maps a file name to its signature (size and modification time), ``pending`` maps a
file name to ``{"sig": signature, "since": when it last changed}``.
"""

from dataclasses import dataclass, field

from project_library.validation.batches import batch_folder


@dataclass
class Look:
    """One poll's outcome for one folder. ``ready`` files are acted on; when that works the
    caller keeps ``seen_after``, else it keeps ``pending`` (they stay ready next time)."""

    seen: dict
    pending: dict
    ready: list = field(default_factory=list)

    @property
    def seen_after(self):
        return {**self.seen, **{name: self.pending[name]["sig"] for name in self.ready}}

    @property
    def pending_after(self):
        return {n: v for n, v in self.pending.items() if n not in self.ready}


def signature(entry):
    modified = entry.modified.isoformat() if entry.modified else ""
    return f"{entry.size}:{modified}"


def look(seen, pending, current, moment, quiet_s):
    """Compare the folder now (``current``: name -> signature) with what was seen.

    A file is new when its name was not seen, or it changed. A burst of new files becomes
    ready once none of them has appeared or changed for ``quiet_s`` seconds, so a file still
    being written (its size still growing) holds the burst back. Files gone from the folder
    are forgotten: one that comes back (say, restored from quarantine) is new again.
    """
    seen = {name: sig for name, sig in seen.items() if current.get(name) == sig}
    still = {}
    for name, sig in current.items():
        if name in seen:
            continue
        before = pending.get(name)
        still[name] = before if before and before["sig"] == sig else {"sig": sig, "since": moment}
    if not still:
        return Look(seen, still)
    last_change = max(item["since"] for item in still.values())
    ready = sorted(still) if (moment - last_change).total_seconds() >= quiet_s else []
    return Look(seen, still, ready)


def folder_listing(storage, project, batch):
    """{file name: signature} of every batch file in the folder (all pages)."""
    folder = batch_folder(project, batch)
    if not storage.exists(folder):
        return {}
    files, page = {}, None
    while True:
        listing = storage.list(folder, page=page)
        for entry in listing.files:
            if not entry.name.startswith("."):
                files[entry.name] = signature(entry)
        if not listing.next:
            return files
        page = listing.next
