"""Start gcp-storage-emulator with a listen backlog a real server would have.

The emulator serves one request at a time on ``http.server.HTTPServer``, whose accept queue
holds 5 connections. A test writing with 8 threads then overflows it: Linux drops the extra
SYNs, the client retransmits after 1 s and 3 s, and the connect times out. Real GCS, and
any production HTTP server, accept far more; 128 keeps the emulator single-threaded (its
in-memory store is not thread-safe) while queueing connections instead of dropping them.
Run as ``python tests/support/gcs_emulator.py start --host ... --port ...``.
"""

import socketserver
import sys

socketserver.TCPServer.request_queue_size = 128

from gcp_storage_emulator.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
