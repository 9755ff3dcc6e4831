"""Files of a storage connection: browse, upload, download, make folders, delete.

Each takes the connection's adapter (``connections.connection_storage``), so the caller has
looked the connection up, and a foreign id answered 404, before any input is checked.
Paths are checked here by ``cloud_storage.paths``, once.
"""

import logging

from cloud_storage.paths import clean_path, join_path
from exception_layer.errors import Conflict, NotFound, ValidationError

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
API_PAGE_SIZE = 1000


def list_folder(storage, folder, page=None, page_size=PAGE_SIZE):
    return storage.list(clean_path(folder), page=page or None, page_size=page_size)


def upload(storage, path, stream, length=None):
    """Stream ``stream`` into ``path``; never holds the whole file in memory."""
    if not path or path.endswith("/"):
        raise ValidationError("Give the file a name: ?path=folder/file.csv")
    path = clean_path(path)
    try:
        if storage.stat(path).is_folder:
            raise Conflict(f"'{path}' is a folder; choose another file name.")
    except NotFound:
        pass
    size = storage.write(path, stream, length=length)
    logger.info("file_uploaded bytes=%s", size)
    return path, size


def make_folder(storage, path):
    path = clean_path(path)
    if not path:
        raise ValidationError("A folder needs a name.")
    storage.make_folder(path)
    return path


def make_folder_in(storage, parent, name):
    return make_folder(storage, join_path(parent, (name or "").strip()))


def delete(storage, path):
    path = clean_path(path)
    if not path:
        raise ValidationError("The root folder cannot be deleted.")
    storage.delete(path)
    logger.info("file_deleted")


def open_download(storage, path):
    """(entry, binary stream) of a file; NotFound or a folder is refused before any byte."""
    path = clean_path(path)
    entry = storage.stat(path)
    if entry.is_folder:
        raise ValidationError(f"'{path}' is a folder; download files one by one.")
    return entry, storage.open_read(path)
