"""What the file pages, the connection pages and the JSON API share: one function per action."""

import logging
import mimetypes
from urllib.parse import quote

from flask import Response, current_app, g, request, stream_with_context
from flask_login import current_user

from cloud_storage.base import CHUNK_SIZE
from cloud_storage.paths import clean_path, join_path
from entity.connection import ConnectionRepository
from entity.db import get_db
from exception_layer.errors import Conflict, NotFound, PayloadTooLarge, ValidationError
from integration.registry import PROVIDERS, get_storage

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
API_PAGE_SIZE = 1000


def repository():
    return ConnectionRepository(get_db())


def connections():
    repo = repository()
    repo.ensure_default(g.workspace.id)
    return repo.list(g.workspace.id)


def connection(connection_id):
    return repository().get(g.workspace.id, connection_id)


def storage(connection_id):
    return get_storage(connection(connection_id))


def may_use_local():
    return bool(getattr(current_user, "is_site_admin", False))


def providers_for_user():
    ordered = [name for name in PROVIDERS if name != "local"] + ["local"]
    return [name for name in ordered if name != "local" or may_use_local()]


# -- connections ------------------------------------------------------------------------
def create_connection(name, provider, settings):
    created = repository().create(
        g.workspace.id,
        name,
        provider,
        settings,
        created_by=current_user.id,
        allow_local=may_use_local(),
    )
    logger.info("connection_created_by user=%s connection=%s", current_user.id, created.id)
    return created


def update_connection(connection_id, name=None, settings=None):
    return repository().update(
        g.workspace.id, connection_id, name=name, settings=settings, allow_local=may_use_local()
    )


def delete_connection(connection_id):
    repository().delete(g.workspace.id, connection_id)


def test_connection(connection_id):
    get_storage(connection(connection_id)).test_connection()


# -- files ------------------------------------------------------------------------------
def list_folder(connection_id, folder, page=None, page_size=PAGE_SIZE):
    return storage(connection_id).list(clean_path(folder), page=page or None, page_size=page_size)


class LimitedStream:
    """The request body, read in chunks; more than ``limit`` bytes is a 413."""

    def __init__(self, stream, limit):
        self._stream = stream
        self._limit = limit
        self.count = 0

    def read(self, size=-1):
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        data = self._stream.read(size)
        self.count += len(data)
        if self.count > self._limit:
            raise PayloadTooLarge(too_large_message(self._limit))
        return data


def too_large_message(limit):
    return f"The file is larger than the {_human(limit)} this platform accepts."


def _human(size):
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024


def upload(connection_id, path):
    """Stream the raw request body into ``path``; never holds the whole file in memory."""
    if not path or path.endswith("/"):
        raise ValidationError("Give the file a name: ?path=folder/file.csv")
    path = clean_path(path)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(too_large_message(limit))
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if chunked and not request.environ.get("wsgi.input_terminated"):
        # without either, the server cannot tell where the body ends: it would read nothing
        raise ValidationError("Send the file with a Content-Length header.", code="length_required")
    target = storage(connection_id)
    try:
        if target.stat(path).is_folder:
            raise Conflict(f"'{path}' is a folder; choose another file name.")
    except NotFound:
        pass
    size = target.write(path, LimitedStream(request.stream, limit), length=request.content_length)
    logger.info(
        "file_uploaded workspace=%s connection=%s bytes=%s", g.workspace.id, connection_id, size
    )
    return path, size


def make_folder(connection_id, path):
    path = clean_path(path)
    if not path:
        raise ValidationError("A folder needs a name.")
    storage(connection_id).make_folder(path)
    return path


def make_folder_in(connection_id, parent, name):
    return make_folder(connection_id, join_path(parent, (name or "").strip()))


def delete(connection_id, path):
    path = clean_path(path)
    if not path:
        raise ValidationError("The root folder cannot be deleted.")
    storage(connection_id).delete(path)
    logger.info("file_deleted workspace=%s connection=%s", g.workspace.id, connection_id)


def download(connection_id, path):
    """A streamed attachment response; NotFound is raised before any byte is sent."""
    path = clean_path(path)
    source = storage(connection_id)
    entry = source.stat(path)
    if entry.is_folder:
        raise ValidationError(f"'{path}' is a folder; download files one by one.")
    stream = source.open_read(path)

    def chunks():
        with stream:
            yield from iter(lambda: stream.read(CHUNK_SIZE), b"")

    mimetype = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Content-Length"] = str(entry.size)
    response.headers["Content-Disposition"] = attachment(entry.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def attachment(name):
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def breadcrumbs(folder):
    crumbs, current = [], []
    for part in folder.split("/") if folder else []:
        current.append(part)
        crumbs.append((part, "/".join(current)))
    return crumbs
