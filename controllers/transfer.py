"""Streaming files between HTTP and storage: request bodies in, attachments out."""

import mimetypes
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context

from cloud_storage.base import CHUNK_SIZE
from exception_layer.errors import PayloadTooLarge, ValidationError


class LimitedStream:
    """The request body, read in chunks; more than ``limit`` bytes is a 413 saying ``message``."""

    def __init__(self, stream, limit, message):
        self._stream = stream
        self._limit = limit
        self._message = message
        self.count = 0

    def read(self, size=-1):
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        data = self._stream.read(size)
        self.count += len(data)
        if self.count > self._limit:
            raise PayloadTooLarge(self._message)
        return data


def too_large_message(limit):
    return f"The file is larger than the {human_size(limit)} this platform accepts."


def human_size(size):
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024


def upload_limit():
    """The most bytes one upload may hold (``MLP_MAX_UPLOAD_BYTES``)."""
    return current_app.config["MAX_UPLOAD_BYTES"]


def check_body_length(limit=None, message=None):
    """Refuse, before reading a byte, a body declared larger than ``limit`` (default: the upload
    limit) and a chunked body the server cannot see the end of; the upload rules for files, zip
    imports and schema bodies alike."""
    limit = limit or upload_limit()
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(message or too_large_message(limit))
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if chunked and not request.environ.get("wsgi.input_terminated"):
        # without either, the server cannot tell where the body ends: it would read nothing
        raise ValidationError("Send the file with a Content-Length header.", code="length_required")
    return limit


def request_body(limit=None, message=None):
    """(stream, length) of the raw request body; more than ``limit`` bytes (default: the upload
    limit) is a 413 saying ``message``."""
    limit = check_body_length(limit, message)
    stream = LimitedStream(request.stream, limit, message or too_large_message(limit))
    return stream, request.content_length


def read_body(limit, message):
    """The whole request body as bytes: more than ``limit`` bytes is a 413 saying ``message``,
    and no body is ever larger than the upload limit either."""
    if upload_limit() < limit:
        limit, message = upload_limit(), too_large_message(upload_limit())
    stream, _ = request_body(limit, message)
    return stream.read()


def _chunks(stream):
    with stream:
        yield from iter(lambda: stream.read(CHUNK_SIZE), b"")


def file_response(entry, stream):
    """A streamed attachment of a storage file (``entry`` from ``stat``)."""
    mimetype = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
    response = Response(stream_with_context(_chunks(stream)), mimetype=mimetype)
    response.headers["Content-Length"] = str(entry.size)
    response.headers["Content-Disposition"] = attachment(entry.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(name, stream):
    return Response(
        stream_with_context(_chunks(stream)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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
