"""The app of a test served by a real gunicorn (gunicorn.conf.py, 2 workers) on its database."""

import urllib.request
from pathlib import Path

from tests.support.process import ServiceProcess, app_env, find_executable, free_port

ROOT = Path(__file__).resolve().parents[2]


def serve(app, app_config, log_dir, workers=2):
    """Start gunicorn on the test app's database and data folder; return (base URL, process)."""
    port = free_port()
    env = {
        **app_env(app.config),
        "MLP_SCHEDULER": "false",
        "MLP_RUN_RECOVERY": "false",
        "MLP_RATELIMIT_ENABLED": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
    }
    argv = [find_executable("gunicorn"), "-c", "gunicorn.conf.py", "app:create_app()"]
    base = f"http://127.0.0.1:{port}"

    def ready():
        with urllib.request.urlopen(f"{base}/login", timeout=2) as response:
            return response.status == 200

    server = ServiceProcess(
        "gunicorn", argv, ready=ready, log_dir=log_dir, env=env, timeout=90, cwd=str(ROOT)
    ).start()
    return base, server
