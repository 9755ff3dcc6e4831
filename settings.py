"""Settings: safe defaults for the embedded mode, overridden by MLP_* environment variables.

Every key below can be set as ``MLP_<KEY>`` (values are parsed as JSON where they look like
it, so ``MLP_PRODUCTION=true`` is a boolean). ``MONGODB_URI`` is also read without the prefix,
as MongoDB deployments usually export it. ``.env.example`` lists them all.
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

DEFAULTS = {
    "PRODUCTION": False,
    "DATA_DIR": None,  # default: the app's instance folder inside the checkout
    "MONGODB_URI": None,  # unset: start the embedded MongoDB-wire server
    "MONGODB_DB": "mlplatform",
    "MONGODB_TIMEOUT_SECONDS": 3,  # an unreachable database: give up (503) after this long
    "SECRET_KEY": None,
    "ENCRYPTION_KEY": None,
    "SIGNUP": "open",  # "open" or "invite"
    "BASE_URL": "http://127.0.0.1:5000",
    "MAX_UPLOAD_BYTES": 5 * 1024**3,
    "RATELIMIT_SIGNIN": "10 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "EXECUTOR": "threads",  # "threads" or "celery"
    "RUN_WORKERS": 2,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_VISIBILITY_TIMEOUT": 3600,  # seconds; keep above the longest run
    "RUN_NICE": 10,  # CPU priority of run threads (higher = lower priority)
    "RUN_THREADS": None,  # native threads (BLAS, OpenMP, joblib) of a job; None: cores - 1
    "RUN_RECOVERY": True,  # at start-up: interrupt orphaned runs, re-enqueue queued ones
    "RUN_HEARTBEAT_SECONDS": 10,  # how often a running run stamps its heartbeat
    "RUN_STALE_SECONDS": 120,  # no heartbeat for this long: the watchdog interrupts the run
    "SCHEDULER": True,  # tick schedules and watchers in serving processes and Celery workers
    "TICK_SECONDS": 5,  # how often each process looks for due schedules and watchers
    "WATCH_INTERVAL": 30,  # seconds between two polls of a watched folder
    "WATCH_QUIET": 60,  # seconds without a new file before a burst of files starts a run
    "PREDICT_MAX_ROWS": 10_000,  # rows per online prediction request (more: 422)
    "PREDICT_MAX_BYTES": 5 * 1024 * 1024,  # body of one prediction request (more: 413)
    "PREDICT_RATELIMIT": "600 per minute",  # per token (shared across processes via Redis)
    "PREDICT_SAMPLE_PER_DAY": 1000,  # requests and answers kept per project and day (30 days)
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "ML Platform <noreply@localhost>",
    "MAIL_TIMEOUT": 10,  # seconds for the SMTP connection and for each SMTP command
    "MAIL_RETRY_SECONDS": 30,  # a failed attempt is retried after this, then twice that, ...
    "MAIL_MAX_ATTEMPTS": 5,  # attempts before a mail is marked failed
    "EMBEDDED_DB_CACHE": "256M",
    "LOG_LEVEL": "INFO",
    "AUDIT_RETENTION_DAYS": 365,  # audit events older than this are dropped (a TTL index)
}


class SettingsError(RuntimeError):
    """The settings do not allow the app to start; the message says which one to set."""


def load_settings(app, overrides=None):
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("MLP")
    if os.environ.get("MONGODB_URI") and not os.environ.get("MLP_MONGODB_URI"):
        app.config["MONGODB_URI"] = os.environ["MONGODB_URI"]
    app.config.update(overrides or {})

    data_dir = Path(app.config["DATA_DIR"] or app.instance_path).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    app.config["DATA_DIR"] = str(data_dir)

    _check_heartbeat(app.config)
    if app.config["PRODUCTION"]:
        missing = [k for k in ("SECRET_KEY", "ENCRYPTION_KEY") if not app.config.get(k)]
        if missing:
            names = ", ".join(f"MLP_{k}" for k in missing)
            raise SettingsError(f"Production mode needs {names}; see README 'Production'.")
    else:
        for key, make in (("SECRET_KEY", _new_secret_key), ("ENCRYPTION_KEY", _new_fernet_key)):
            if not app.config.get(key):
                app.config[key] = _kept_secret(data_dir / f"{key.lower()}.txt", make)

    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["PRODUCTION"]),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=bool(app.config["PRODUCTION"]),
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_HEADERS_ENABLED=True,  # Retry-After and X-RateLimit-* on limited routes
    )


def _check_heartbeat(config):
    """The watchdog's limit must leave room for a few missed beats (a busy moment, a short
    database blip), or it would interrupt runs that are alive."""
    beat, stale = float(config["RUN_HEARTBEAT_SECONDS"]), float(config["RUN_STALE_SECONDS"])
    if beat <= 0 or stale < 3 * beat:
        raise SettingsError(
            "MLP_RUN_STALE_SECONDS must be at least 3 times MLP_RUN_HEARTBEAT_SECONDS "
            f"(now {stale:g} and {beat:g})."
        )


def _new_secret_key():
    return secrets.token_urlsafe(48)


def _new_fernet_key():
    return Fernet.generate_key().decode()


def _kept_secret(path, make):
    """Read a generated secret from the data folder, creating it (mode 0600) the first time.

    Several processes may start at once (gunicorn workers): each writes its candidate to a
    private file and links it into place, which succeeds for exactly one of them, so every
    process ends up with the same, complete secret.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    candidate = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, make().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(candidate, path)
    except FileExistsError:
        pass  # another process won; use its secret
    finally:
        candidate.unlink(missing_ok=True)
    return path.read_text().strip()
