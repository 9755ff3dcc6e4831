"""A local upload through gunicorn is read from the socket into the file: byte-exact for a
large streamed body, the connection reusable after it, nothing left of a body cut short."""

import hashlib
import http.client
import json
import os
import socket
from urllib.parse import urlsplit

import pytest

from controllers.context import get_store
from tests.support.gunicorn import serve

pytestmark = pytest.mark.slow

MiB = 1024 * 1024


@pytest.fixture
def gunicorn(app, app_config, tmp_path):
    base, server = serve(app, app_config, tmp_path, workers=1)
    yield base
    server.stop()


def _connection(app, team):
    with app.app_context():
        store = get_store()
        return store.connections.ensure_default(team.workspace_id), store


def _pieces(data, size):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_large_streamed_upload_is_byte_exact_and_the_connection_stays_usable(app, team, gunicorn):
    connection, _store = _connection(app, team)
    body = os.urandom(37 * MiB + 12345)  # not a multiple of any buffer size
    parts = urlsplit(gunicorn)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {**team.headers("admin"), "Content-Length": str(len(body))}
    conn.request(
        "PUT",
        f"/api/v1/connections/{connection.id}/files?path=big/upload.bin",
        body=_pieces(body, 300_001),  # odd pieces, sent as they come
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    answer = conn.getresponse()
    assert answer.status == 201, answer.read()
    assert json.loads(answer.read())["size"] == len(body)
    # the same keep-alive connection serves the next request correctly
    conn.request("GET", f"/api/v1/connections/{connection.id}/files?path=big", headers=headers)
    listing = conn.getresponse()
    assert listing.status == 200
    assert [f["size"] for f in json.loads(listing.read())["files"]] == [len(body)]
    conn.close()
    stored = os.path.join(app.config["DATA_DIR"], "files", team.workspace_id, "big", "upload.bin")
    with open(stored, "rb") as handle:
        assert hashlib.sha256(handle.read()).digest() == hashlib.sha256(body).digest()


def test_a_body_cut_short_leaves_no_file(app, team, gunicorn):
    connection, _store = _connection(app, team)
    parts = urlsplit(gunicorn)
    head = (
        f"PUT /api/v1/connections/{connection.id}/files?path=cut.bin HTTP/1.1\r\n"
        f"Host: {parts.hostname}\r\n"
        f"Authorization: {team.headers('admin')['Authorization']}\r\n"
        f"X-Workspace: {team.workspace_id}\r\n"
        f"Content-Length: {8 * MiB}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head + b"x" * MiB)
        sock.shutdown(socket.SHUT_WR)  # the client goes away mid-body
        sock.settimeout(30)
        while sock.recv(65536):
            pass
    folder = os.path.join(app.config["DATA_DIR"], "files", team.workspace_id)
    leftovers = [name for name in os.listdir(folder) if "cut" in name or name.startswith(".~")]
    assert leftovers == []
    # the server still answers
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", "/login")
    assert conn.getresponse().status == 200
