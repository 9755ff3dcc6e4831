"""The storage interface every provider adapter implements.

Paths are relative posix strings checked by ``cloud_storage.paths.clean_path`` ('' is the
root). Folders in object stores are prefixes; ``make_folder`` leaves a zero-byte marker
object named ``folder/`` so an empty folder stays visible, as the providers' consoles do.
"""

import abc
import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from cloud_storage.paths import clean_path, is_within
from exception_layer.errors import NotFound, ValidationError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    is_folder: bool
    size: int = 0
    modified: datetime | None = None

    def to_dict(self):
        body = {"name": self.name, "path": self.path}
        if not self.is_folder:
            body["size"] = self.size
            body["modified"] = self.modified.isoformat() if self.modified else None
        return body


@dataclass
class Listing:
    folders: list = field(default_factory=list)
    files: list = field(default_factory=list)
    next: str | None = None


@dataclass(frozen=True)
class SettingField:
    """One setting a provider needs; the form, validation and masking all read these."""

    name: str
    label: str
    secret: bool = False
    required: bool = False
    help: str = ""
    multiline: bool = False
    placeholder: str = ""


class CloudStorage(abc.ABC):
    provider = ""
    label = ""
    settings_schema: tuple = ()

    # -- settings ---------------------------------------------------------------------
    @classmethod
    def validate_settings(cls, settings):
        """Return the known settings stripped of blanks; raise ValidationError if incomplete."""
        cleaned = {}
        for spec in cls.settings_schema:
            value = settings.get(spec.name)
            if isinstance(value, str):
                value = value if spec.multiline or spec.secret else value.strip()
            if value in (None, ""):
                if spec.required:
                    raise ValidationError(
                        f"{spec.label} is required.", details={"field": spec.name}
                    )
                continue
            if not isinstance(value, str):
                raise ValidationError(f"{spec.label} must be text.", details={"field": spec.name})
            cleaned[spec.name] = value
        cls.check_settings(cleaned)
        return cleaned

    @classmethod
    def check_settings(cls, settings):
        """Cross-field checks a provider needs (e.g. one of several credentials)."""
        return None

    @classmethod
    def secret_fields(cls):
        return [spec.name for spec in cls.settings_schema if spec.secret]

    # -- listing ----------------------------------------------------------------------
    @abc.abstractmethod
    def list(self, folder="", page=None, page_size=1000):
        """One level of ``folder``: a Listing of folders and files, paged by ``next``."""

    @abc.abstractmethod
    def _walk_files(self, folder):
        """Yield every file Entry below ``folder`` (any order)."""

    def walk(self, folder=""):
        folder = clean_path(folder)
        return sorted(self._walk_files(folder), key=lambda entry: entry.path)

    @abc.abstractmethod
    def stat(self, path):
        """Entry for a file or folder; NotFound when neither exists."""

    def exists(self, path):
        try:
            self.stat(path)
        except NotFound:
            return False
        return True

    # -- reading ----------------------------------------------------------------------
    @abc.abstractmethod
    def open_read(self, path):
        """A binary file-like object streaming the file; use it as a context manager."""

    def read_bytes(self, path):
        with self.open_read(path) as stream:
            return stream.read()

    # -- writing ----------------------------------------------------------------------
    @abc.abstractmethod
    def write(self, path, stream, length=None):
        """Stream ``stream`` into ``path``; return the byte count. Atomic on failure."""

    def write_bytes(self, path, data):
        return self.write(path, io.BytesIO(data), length=len(data))

    @abc.abstractmethod
    def delete_file(self, path):
        """Delete one file; NotFound when it does not exist."""

    @abc.abstractmethod
    def delete_folder(self, path):
        """Delete a folder and everything below it; NotFound when it does not exist."""

    def delete_files(self, paths):
        """Delete these files, as few requests as the provider allows; a file already gone
        is fine (a deletion resumed after a crash deletes some twice)."""
        for path in paths:
            try:
                self.delete_file(path)
            except NotFound:
                continue

    def delete(self, path):
        """Delete a file, or a folder recursively."""
        entry = self.stat(path)
        if entry.is_folder:
            self.delete_folder(entry.path)
        else:
            self.delete_file(entry.path)

    def _copy_file(self, src, dst):
        """Copy one file inside this storage; streamed through this process unless the
        provider has a server-side copy."""
        with self.open_read(src) as source:
            self.write(dst, source)

    def copy(self, src, dst):
        """Copy a file, or a folder with everything below it."""
        src, dst = clean_path(src), clean_path(dst)
        entry = self.stat(src)
        if not entry.is_folder:
            self._copy_file(src, dst)
            return
        if is_within(dst, src):
            raise ValidationError("A folder cannot be copied into itself.")
        self.make_folder(dst)
        for folder in self._folders_below(src):  # empty folders come along too
            self.make_folder(dst + folder[len(src) :])
        for item in self.walk(src):
            self._copy_file(item.path, dst + item.path[len(src) :])

    def _folders_below(self, folder):
        pending = [folder]
        while pending:
            current, page = pending.pop(), None
            while True:
                listing = self.list(current, page=page)
                for entry in listing.folders:
                    yield entry.path
                    pending.append(entry.path)
                page = listing.next
                if not page:
                    break

    def move(self, src, dst):
        src, dst = clean_path(src), clean_path(dst)
        if src == dst:
            return
        entry = self.stat(src)
        self.copy(src, dst)
        if entry.is_folder:
            self.delete_folder(src)
        else:
            self.delete_file(src)

    @abc.abstractmethod
    def make_folder(self, path):
        """Create a folder (and its parents); an existing folder is fine."""

    @abc.abstractmethod
    def test_connection(self):
        """Check the settings reach a usable bucket/folder; raise StorageError if not."""

    def sha256(self, path):
        digest = hashlib.sha256()
        with self.open_read(path) as stream:
            for chunk in iter(lambda: stream.read(CHUNK_SIZE), b""):
                digest.update(chunk)
        return digest.hexdigest()


READ_PIECE = 1024 * 1024


def read_full(stream, size):
    """Read up to ``size`` bytes, looping over short reads (sockets return less).

    The source is read in pieces of at most 1 MiB: WSGI servers buffer what one read asks
    for (gunicorn holds about four copies of it), so one 8 MiB read would cost far more.
    """
    return bytes(read_part(stream, size))


def read_part(stream, size):
    """Like read_full, into one bytearray (no extra copy); SDKs that take bytearray use it."""
    buffer = bytearray(size)
    filled = 0
    while filled < size:
        chunk = stream.read(min(size - filled, READ_PIECE))
        if not chunk:
            break
        buffer[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    del buffer[filled:]
    return buffer


class CountingReader(io.RawIOBase):
    """Wrap a source stream: full reads, a byte count, and ``tell`` for SDKs that ask."""

    def __init__(self, stream, limit=None):
        self._stream = stream
        self.count = 0
        self.limit = limit

    def readable(self):
        return True

    def tell(self):
        return self.count

    def read(self, size=-1):
        # SDKs take a short read for the end of the stream; sockets return short reads.
        if size is None or size < 0:
            data = self._stream.read()
        else:
            data = read_full(self._stream, size)
        self.count += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class GuardedReader(io.RawIOBase):
    """A download stream whose SDK errors (``errors``) become StorageError while read.

    ``read(size)`` is the SDK's read; ``size`` is -1 for "everything".
    """

    def __init__(self, read, translate, errors, close=None):
        self._read = read
        self._translate = translate
        self._errors = errors
        self._close = close

    def readable(self):
        return True

    def read(self, size=-1):
        try:
            return self._read(-1 if size is None else size) or b""
        except self._errors as error:
            raise self._translate(error) from error

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        if not self.closed and self._close:
            try:
                self._close()
            except self._errors:
                logger.debug("storage stream close failed", exc_info=True)
        super().close()
