"""A real SMTP server (aiosmtpd) on a free port that keeps every message it receives, and a
server that accepts connections and never answers."""

import email
import socket
import threading
import time

import pytest

from tests.support.process import free_port


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content)
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "subject": message["Subject"],
                "message": message,
                "body": message.get_payload(decode=True).decode(errors="replace"),
            }
        )
        return "250 OK"

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server():
    """Yields (host, port, inbox); the server stops after the test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox
    controller.stop()


class SilentServer:
    """A TCP server that accepts every connection and never says a word (no SMTP greeting):
    the server that blocks a client without a timeout for good."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:  # closed: the test is over
                return
            self.accepted.append(connection)  # held open, never answered

    def close(self):
        for connection in self.accepted:
            connection.close()
        self.sock.close()


@pytest.fixture
def silent_smtp():
    """Yields a SilentServer (its ``port``); closed after the test."""
    server = SilentServer()
    yield server
    server.close()
