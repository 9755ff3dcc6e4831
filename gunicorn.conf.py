"""Gunicorn settings for ML Platform: ``gunicorn -c gunicorn.conf.py 'app:create_app()'``.

Threaded workers (gthread): a request mostly waits on the database or storage, so a few
threads per process serve more than extra processes would, and each process holds one
MongoClient. Every value can be changed with an environment variable (GUNICORN_*); the bench
(bench/web.py) serves both the app and its baseline page with these same settings.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # the Docker image binds 0.0.0.0:8000
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Uploads of large batch files stream through a request; give them time, but not forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Each process builds its own app (and its own MongoClient): pymongo clients are not fork-safe.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" logs requests to stdout
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_exit(server):
    """Stop the embedded database with the server when asked (the Docker image asks).

    The first app process of a data folder starts the embedded server in its own session, so
    it outlives gunicorn; in a container nothing else would stop it cleanly.
    """
    if os.environ.get("GUNICORN_STOP_EMBEDDED_DB", "").lower() not in ("1", "true", "yes"):
        return
    if os.environ.get("MONGODB_URI") or os.environ.get("MLP_MONGODB_URI"):
        return
    from pathlib import Path

    data_dir = Path(os.environ.get("MLP_DATA_DIR") or Path(__file__).parent / "instance")
    if (data_dir / "mongo" / "server.json").exists():
        from entity.embedded_server import stop_server

        stop_server(data_dir)
        server.log.info("embedded_db=stopped data_dir=%s", data_dir)
