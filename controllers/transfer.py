"""Streaming files between HTTP and storage: request bodies in, attachments out."""

import fcntl
import mimetypes
import os
import select
import ssl
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context

from cloud_storage.base import CHUNK_SIZE
from exception_layer.errors import PayloadTooLarge, ValidationError


class LimitedStream:
    """The request body, read in chunks; more than ``limit`` bytes is a 413 saying ``message``.

    ``reads_into`` when the body comes straight from the socket (``SocketBody``): a local
    upload then splices it into the file, or reads it into one reused buffer.
    """

    reads_into = False

    def __init__(self, stream, limit, message):
        self._stream = stream
        self._limit = limit
        self._message = message
        self.count = 0
        self.reads_into = isinstance(stream, SocketBody)

    def read(self, size=-1):
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        data = self._stream.read(size)
        self._counted(len(data))
        return data

    def readinto(self, buffer):
        return self._counted(self._stream.readinto(buffer))

    def splice_into(self, fd, write_error):
        """Move the body into ``fd`` without Python seeing it; only a body whose declared
        length is within the limit gets here (``check_body_length``)."""
        return self._counted(self._stream.splice_into(fd, write_error))

    def _counted(self, size):
        self.count += size
        if self.count > self._limit:
            raise PayloadTooLarge(self._message)
        return size


SPLICE_STEP = 1024 * 1024  # what one splice moves at most; the pipe is resized to hold it
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class SocketBody:
    """A request body of known length read from gunicorn's socket into the caller's buffer.

    gunicorn's own body reader hands out bytes objects assembled through two BytesIO
    buffers: every MiB is copied about five times in Python, which held local uploads to
    ~0.4x of a file copy. This takes what gunicorn already buffered, then the socket:
    ``splice_into`` a file (in the kernel), or ``readinto`` a buffer.
    The connection is marked unusable until the last byte is read, so a body the app stops
    reading (a 413, an error) closes it instead of leaving bytes for the next request.
    """

    def __init__(self, body, sock):
        reader = body.reader
        buffered = reader.unreader.take_buffered()
        head, rest = buffered[: reader.length], buffered[reader.length :]
        if rest:  # a pipelined next request: gunicorn reads it from here
            reader.unreader.unread(rest)
        self._head = memoryview(head)
        self._left = reader.length - len(head)  # still on the socket
        self._sock, self._body = sock, body
        reader.length = 0
        body.failed = True  # until the whole body is read

    @classmethod
    def of(cls, environ):
        """The body of this request, when gunicorn serves it over plain TCP with a known
        length, else None (gunicorn's own reader is used)."""
        body, sock = environ.get("wsgi.input"), environ.get("gunicorn.socket")
        reader = getattr(body, "reader", None)
        unreader = getattr(reader, "unreader", None)
        usable = (
            sock is not None
            and not isinstance(sock, ssl.SSLSocket)  # its file descriptor carries ciphertext
            and isinstance(getattr(reader, "length", None), int)
            and hasattr(unreader, "take_buffered")
            and hasattr(body, "failed")
            and getattr(body, "buf", None) is not None
            and body.buf.tell() == 0
        )
        return cls(body, sock) if usable else None

    def readinto(self, buffer):
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
        elif self._left:
            size = self._sock.recv_into(view, min(len(view), self._left))
            if size == 0:
                raise ValidationError("The upload ended before its declared length.")
            self._left -= size
        else:
            return 0
        if not self._head and not self._left:
            self._body.failed = False
        return size

    def read(self, size=-1):
        buffer = bytearray(CHUNK_SIZE if size is None or size < 0 else size)
        return bytes(buffer[: self.readinto(buffer)])

    def splice_into(self, fd, write_error):
        """Move the rest of the body into the file ``fd`` inside the kernel (Linux
        ``splice`` through a pipe: no copy through Python); return the bytes moved.

        ``write_error(OSError)`` turns a failure to write the file (a full disk) into the
        caller's error; the socket's own errors (a client going away) pass through."""
        moved = 0
        if self._head:
            moved += _to_file(os.write, write_error, fd, self._head)
            self._head = memoryview(b"")
        sock_fd = self._sock.fileno()
        read_end, write_end = os.pipe()
        try:
            fcntl.fcntl(write_end, F_SETPIPE_SZ, SPLICE_STEP)
        except OSError:  # above the system's pipe-max-size: smaller steps, same result
            pass
        try:
            while self._left:
                try:
                    size = os.splice(sock_fd, write_end, min(self._left, SPLICE_STEP))
                except BlockingIOError:  # a socket with a timeout is non-blocking underneath
                    if not select.select([sock_fd], [], [], self._sock.gettimeout())[0]:
                        raise TimeoutError("the upload stalled") from None
                    continue
                if size == 0:
                    raise ValidationError("The upload ended before its declared length.")
                self._left -= size
                while size:
                    done = _to_file(os.splice, write_error, read_end, fd, size)
                    size -= done
                    moved += done
        finally:
            os.close(read_end)
            os.close(write_end)
        self._body.failed = False
        return moved


def _to_file(write, write_error, *args):
    try:
        return write(*args)
    except OSError as error:
        raise write_error(error) from error


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
    raw = SocketBody.of(request.environ) if request.content_length is not None else None
    stream = LimitedStream(raw or request.stream, limit, message or too_large_message(limit))
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
