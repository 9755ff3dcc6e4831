"""The embedded database and settings, exercised as real separate processes."""

import json
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app import create_app
from settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from app import create_app
from controllers.context import get_db
app = create_app()
db = get_db(app)
db.probe.insert_one({"from": sys.argv[1]})
print(json.dumps({"uri": app.config["MONGODB_URI"], "seen": db.probe.count_documents({})}))
"""


def run(args, data_dir, **kwargs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLP_") and k != "MONGODB_URI"}
    env["MLP_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


@pytest.mark.slow
def test_two_processes_share_one_embedded_server(tmp_path):
    data_dir = tmp_path / "data"
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(
                pool.map(
                    lambda name: run([sys.executable, "-c", PROBE, name], data_dir), ["a", "b"]
                )
            )
        for result in results:
            assert result.returncode == 0, result.stderr[-2000:]
        outputs = [json.loads(r.stdout.strip().splitlines()[-1]) for r in results]
        assert outputs[0]["uri"] == outputs[1]["uri"], "both processes use the same server"
        assert sorted(o["seen"] for o in outputs)[-1] == 2

        info = json.loads((data_dir / "mongo" / "server.json").read_text())
        os.kill(info["pid"], 0)  # still running after both app processes exited

        created = run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "users",
                "create",
                "--email",
                "cli@example.com",
                "--password",
                "long enough pw",
                "--admin",
            ],
            data_dir,
        )
        assert created.returncode == 0, created.stderr[-2000:]
        assert "site admin" in created.stdout
        again = run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "users",
                "create",
                "--email",
                "cli@example.com",
                "--password",
                "long enough pw",
            ],
            data_dir,
        )
        assert again.returncode != 0 and "already exists" in again.stderr
        assert "Traceback" not in again.stderr
        third = json.loads(
            run([sys.executable, "-c", PROBE, "c"], data_dir).stdout.splitlines()[-1]
        )
        assert third["uri"] == outputs[0]["uri"] and third["seen"] == 3
    finally:
        stopped = run([sys.executable, "-m", "flask", "--app", "app", "db", "stop"], data_dir)
    assert "stopped" in stopped.stdout


def test_embedded_mode_generates_keys_once_with_private_permissions(app_config, tmp_path):
    for key in ("SECRET_KEY", "ENCRYPTION_KEY"):
        app_config.pop(key)
    first = create_app(app_config)
    second = create_app(app_config)
    data_dir = Path(app_config["DATA_DIR"])
    for name, key in (("secret_key.txt", "SECRET_KEY"), ("encryption_key.txt", "ENCRYPTION_KEY")):
        path = data_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert first.config[key] == second.config[key] == path.read_text()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_secrets(app_config, missing):
    app_config.update(PRODUCTION=True)
    app_config.pop(missing)
    with pytest.raises(SettingsError, match=f"MLP_{missing}"):
        create_app(app_config)


def test_production_cookies_are_secure(app_config):
    app_config.update(PRODUCTION=True)
    app = create_app(app_config)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_settings_come_from_prefixed_environment(monkeypatch, app_config):
    monkeypatch.setenv("MLP_SIGNUP", "invite")
    monkeypatch.setenv("MLP_RUN_WORKERS", "5")
    app_config.pop("SIGNUP", None)
    app = create_app(app_config)
    assert app.config["SIGNUP"] == "invite"
    assert app.config["RUN_WORKERS"] == 5
