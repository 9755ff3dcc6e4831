"""A folder on the server's own disk (the embedded mode's default storage)."""

import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from cloud_storage.base import CHUNK_SIZE, CloudStorage, Entry, GuardedReader, Listing, SettingField
from cloud_storage.paths import clean_path
from exception_layer.errors import Conflict, NotFound, StorageError, ValidationError

logger = logging.getLogger(__name__)

TEMP_PREFIX = ".~upload-"


def _modified(stat_result):
    return datetime.fromtimestamp(stat_result.st_mtime, tz=UTC)


def _os_error(error, action):
    logger.warning("local storage failed action=%s errno=%s", action, error.errno)
    if isinstance(error, PermissionError):
        return StorageError("The server may not access that folder (permission denied).")
    if error.errno == 28:
        return StorageError("The server's disk is full.")
    return StorageError(f"The server could not {action}.")


def _page_offset(page):
    if page in (None, ""):
        return 0
    try:
        offset = int(page)
    except (TypeError, ValueError):
        raise ValidationError("The page token is not valid.") from None
    if offset < 0:
        raise ValidationError("The page token is not valid.")
    return offset


def _copy(stream, out):
    """Copy ``stream`` to ``out``. A request body read from the socket (``reads_into``) is
    spliced into the file in the kernel where Linux ``splice`` exists, else read into one
    reused buffer; anything else in ``CHUNK_SIZE`` reads. The source's own errors (a client
    going away) pass through."""
    written = 0
    if getattr(stream, "reads_into", False) and hasattr(os, "splice"):
        out.flush()
        return stream.splice_into(out.fileno(), lambda e: _os_error(e, "save that file"))
    if getattr(stream, "reads_into", False):
        readinto = stream.readinto
        view = memoryview(bytearray(4 * CHUNK_SIZE))
        chunks = (view[:size] for size in iter(lambda: readinto(view), 0))
    else:
        chunks = iter(lambda: stream.read(CHUNK_SIZE), b"")
    for chunk in chunks:
        try:
            out.write(chunk)
        except OSError as error:
            raise _os_error(error, "save that file") from error
        written += len(chunk)
    return written


class LocalStorage(CloudStorage):
    provider = "local"
    label = "Server folder"
    settings_schema = (
        SettingField(
            "path",
            "Folder on the server",
            required=True,
            help="An absolute folder on the platform's server. Only site admins can set it.",
            placeholder="/srv/ml-platform/files",
        ),
    )

    def __init__(self, root):
        self.root = Path(os.path.realpath(root))

    @classmethod
    def from_settings(cls, settings, **_options):
        return cls(settings["path"])

    @classmethod
    def check_settings(cls, settings):
        if not os.path.isabs(settings["path"]):
            raise ValidationError("The server folder must be an absolute path.")

    # -- paths ------------------------------------------------------------------------
    def _full(self, path):
        path = clean_path(path)
        full = self.root / path if path else self.root
        real = os.path.realpath(full)
        if real != str(self.root) and not real.startswith(str(self.root) + os.sep):
            raise ValidationError("That path leads outside the connection's folder.")
        return path, Path(real)

    def _inside(self, entry_path):
        real = os.path.realpath(entry_path)
        return real == str(self.root) or real.startswith(str(self.root) + os.sep)

    # -- listing ----------------------------------------------------------------------
    def list(self, folder="", page=None, page_size=1000):
        folder, full = self._full(folder)
        offset = _page_offset(page)
        try:
            with os.scandir(full) as scan:
                names = []
                for item in scan:
                    if item.name.startswith(TEMP_PREFIX):
                        continue
                    if item.is_symlink() and not self._inside(item.path):
                        continue
                    names.append((not item.is_dir(), item.name))
        except FileNotFoundError:
            if folder == "" and not self.root.exists():
                return Listing()
            raise NotFound(f"There is no folder '{folder}'.") from None
        except NotADirectoryError:
            raise ValidationError(f"'{folder}' is a file, not a folder.") from None
        except OSError as error:
            raise _os_error(error, "list that folder") from error
        names.sort()
        window = names[offset : offset + page_size]
        listing = Listing()
        for is_file, name in window:
            path = f"{folder}/{name}" if folder else name
            if not is_file:
                listing.folders.append(Entry(name, path, True))
                continue
            try:
                info = os.stat(full / name)
            except OSError:
                continue  # deleted between scandir and stat
            listing.files.append(Entry(name, path, False, info.st_size, _modified(info)))
        if offset + page_size < len(names):
            listing.next = str(offset + page_size)
        return listing

    def _walk_files(self, folder):
        folder, full = self._full(folder)
        if not full.is_dir():
            return
        for current, dirs, files in os.walk(full):
            dirs[:] = [d for d in dirs if self._inside(os.path.join(current, d))]
            for name in files:
                if name.startswith(TEMP_PREFIX):
                    continue
                file_path = os.path.join(current, name)
                if not self._inside(file_path):
                    continue
                relative = os.path.relpath(file_path, self.root).replace(os.sep, "/")
                info = os.stat(file_path)
                yield Entry(name, relative, False, info.st_size, _modified(info))

    def stat(self, path):
        path, full = self._full(path)
        try:
            info = os.stat(full)
        except FileNotFoundError:
            if path == "":
                return Entry("", "", True)
            raise NotFound(f"There is no file or folder '{path}'.") from None
        except OSError as error:
            raise _os_error(error, "read that file") from error
        name = path.rsplit("/", 1)[-1]
        if full.is_dir():
            return Entry(name, path, True, 0, _modified(info))
        return Entry(name, path, False, info.st_size, _modified(info))

    # -- reading ----------------------------------------------------------------------
    def open_read(self, path):
        path, full = self._full(path)
        if full.is_dir():
            raise ValidationError(f"'{path}' is a folder, not a file.")
        try:
            handle = open(full, "rb")  # noqa: SIM115 - returned to the caller, who closes it
        except FileNotFoundError:
            raise NotFound(f"There is no file '{path}'.") from None
        except OSError as error:
            raise _os_error(error, "read that file") from error
        return GuardedReader(
            handle.read,
            lambda error: _os_error(error, "read that file"),
            (OSError,),
            close=handle.close,
        )

    # -- writing ----------------------------------------------------------------------
    def _make_parents(self, directory):
        """Create missing folders; return the ones this call created (deepest last). Two
        writes into the same new folder at once are fine: whoever loses the race uses the
        folder the other made."""
        created = []
        missing = []
        current = directory
        while not current.exists():
            missing.append(current)
            current = current.parent
        if not current.is_dir():
            raise Conflict("A file stands where a folder is needed.")
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:  # another writer made it meanwhile: not ours to clean up
                if not folder.is_dir():
                    raise Conflict("A file stands where a folder is needed.") from None
                continue
            created.append(folder)
        return created

    @staticmethod
    def _remove_empty(folders):
        for folder in reversed(folders):
            try:
                folder.rmdir()
            except OSError:
                break

    def write(self, path, stream, length=None):
        path, full = self._full(path)
        if path == "":
            raise ValidationError("A file needs a name.")
        if full.is_dir():
            raise Conflict(f"'{path}' is a folder.")
        created = []
        temp_name = None
        try:
            try:
                created = self._make_parents(full.parent)
                handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=full.parent)
            except OSError as error:
                raise _os_error(error, "save that file") from error
            with os.fdopen(handle, "wb") as out:
                written = _copy(stream, out)
            try:
                os.replace(temp_name, full)
            except OSError as error:
                raise _os_error(error, "save that file") from error
            temp_name = None
            return written
        finally:
            if temp_name is not None:
                try:
                    os.remove(temp_name)
                except OSError:
                    logger.warning("could not remove a partial upload")
                self._remove_empty(created)

    def delete_file(self, path):
        path, full = self._full(path)
        if full.is_dir():
            raise ValidationError(f"'{path}' is a folder; delete it as a folder.")
        try:
            os.remove(full)
        except FileNotFoundError:
            raise NotFound(f"There is no file '{path}'.") from None
        except OSError as error:
            raise _os_error(error, "delete that file") from error

    def delete_folder(self, path):
        path, full = self._full(path)
        if path == "":
            raise ValidationError("The root folder cannot be deleted.")
        if not full.is_dir():
            raise NotFound(f"There is no folder '{path}'.")
        try:
            shutil.rmtree(full)
        except OSError as error:
            raise _os_error(error, "delete that folder") from error

    def _copy_file(self, src, dst):
        with self.open_read(src) as source:
            self.write(dst, source)

    def make_folder(self, path):
        path, full = self._full(path)
        if full.exists() and not full.is_dir():
            raise Conflict(f"A file named '{path}' already exists.")
        try:
            full.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _os_error(error, "create that folder") from error

    def test_connection(self):
        if not self.root.is_dir():
            raise StorageError("The server folder does not exist.")
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise StorageError("The server may not read and write that folder.")
