"""Deleting a folder's files in batches, listed a page at a time, and checking nothing is left.

Each batch is listed afresh from the start: a listing page counted by offset (the local
folder) shifts under deletion, and a fresh listing is also what a resumed job needs, since
whatever an earlier attempt deleted is simply no longer listed.
"""

from exception_layer.errors import NotFound, StorageError
from integration.layout import PLATFORM_FOLDERS, project_path

BATCH_SIZE = 500
CONFIRM_ATTEMPTS = 3


def project_folders(root, files):
    """The folders a project deletion empties: its whole root, or the platform's folders."""
    if files == "all":
        return [root]
    return [project_path(root, folder) for folder in PLATFORM_FOLDERS]


def first_files(storage, folder, limit):
    """Up to ``limit`` file paths below ``folder`` (none when it does not exist), listed one
    page of one level at a time, so a huge folder is never read whole."""
    found, pending = [], [folder]
    while pending and len(found) < limit:
        current, page = pending.pop(), None
        while len(found) < limit:
            try:
                listing = storage.list(current, page=page, page_size=limit)
            except NotFound:
                break
            found.extend(entry.path for entry in listing.files)
            pending.extend(entry.path for entry in listing.folders)
            page = listing.next
            if not page:
                break
    return found[:limit]


def delete_below(storage, folder, on_batch, batch_size=BATCH_SIZE):
    """Delete every file below ``folder`` in batches, calling ``on_batch(count)`` after each,
    then the folder itself (its markers and empty sub-folders)."""
    previous = None
    while batch := first_files(storage, folder, batch_size):
        if batch == previous:
            raise StorageError(
                f"{len(batch)} files below '{folder}' could not be deleted "
                f"(the storage kept them; the first is '{batch[0]}')."
            )
        storage.delete_files(batch)
        on_batch(len(batch))
        previous = batch
    remove_folder(storage, folder)


def remove_folder(storage, folder):
    try:
        storage.delete_folder(folder)
    except NotFound:
        pass


def confirm_empty(storage, folder, on_batch):
    """List ``folder`` again; delete what is still there (a file written meanwhile, a listing
    that lagged) up to ``CONFIRM_ATTEMPTS`` times, then fail with what is left."""
    for _ in range(CONFIRM_ATTEMPTS):
        if not storage.exists(folder):
            return
        delete_below(storage, folder, on_batch)
    left = first_files(storage, folder, 3)
    if left or storage.exists(folder):
        shown = ", ".join(f"'{path}'" for path in left) or f"the folder '{folder}'"
        raise StorageError(f"Files are still in storage after deleting: {shown}.")


def delete_files(storage, paths, on_batch):
    """Delete named files (a run's or a version's own files); missing ones are fine."""
    paths = [path for path in paths if path and storage.exists(path)]
    if paths:
        storage.delete_files(paths)
        on_batch(len(paths))
