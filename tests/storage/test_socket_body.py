"""``SocketBody`` over gunicorn's own reader classes and a real socket pair: what gunicorn
buffered comes first, nothing past the body is taken, the connection is reusable only once
the whole body was read."""

import socket
import threading

from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader

from controllers.transfer import SocketBody


def _body(head, rest, length):
    """A gunicorn body whose reader already buffered ``head``; ``rest`` is still on the wire."""
    ours, theirs = socket.socketpair()

    def send():  # more than a socket buffer holds: sent while the test reads
        theirs.sendall(rest)
        theirs.shutdown(socket.SHUT_WR)

    threading.Thread(target=send, daemon=True).start()
    unreader = SocketUnreader(ours)
    unreader.unread(head)
    body = Body(LengthReader(unreader, length))
    return SocketBody.of({"wsgi.input": body, "gunicorn.socket": ours}), body, unreader


def test_read_takes_the_buffered_bytes_then_the_socket_and_stops_at_the_length():
    data = bytes(range(256)) * 4000  # 1,024,000 bytes
    pipelined = b"GET /next HTTP/1.1\r\n\r\n"
    stream, body, unreader = _body(data[:1000], data[1000:] + pipelined, len(data))
    assert stream is not None and body.failed  # until the last byte is read
    pieces = []
    while piece := stream.read(65_536):
        pieces.append(piece)
    assert b"".join(pieces) == data
    assert not body.failed
    assert unreader.read() == pipelined  # the next request is left for gunicorn


def test_a_pipelined_request_in_the_buffer_is_given_back():
    stream, body, unreader = _body(b"abcNEXT", b"", 3)
    buffer = bytearray(10)
    assert stream.readinto(buffer) == 3 and bytes(buffer[:3]) == b"abc"
    assert stream.readinto(buffer) == 0 and not body.failed
    assert unreader.read() == b"NEXT"


def test_a_body_read_only_in_part_keeps_the_connection_marked_unusable():
    stream, body, _ = _body(b"", b"x" * 100, 100)
    assert len(stream.read(10)) == 10
    assert body.failed
