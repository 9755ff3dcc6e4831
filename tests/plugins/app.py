"""App fixtures: a fresh database per test, a live HTTP server, and a ready-made team."""

import threading
import uuid
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server

from app import create_app
from tests.support import web


@pytest.fixture
def app_config(mongo_uri, tmp_path):
    """Settings for the test app; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "MONGODB_URI": mongo_uri,
        "MONGODB_DB": f"test_{uuid.uuid4().hex[:12]}",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEY": "Vx2G9t0J4W5v7Yl1s2r4bA6cX8d0e2f4g6h8i0j2k4M=",
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://127.0.0.1",
        "SCHEDULER": False,  # tests tick by hand, with an injected clock, or ask for it
    }


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    yield application
    application.extensions["ticker"].stop()
    from entity.db import client_for

    client_for(app_config["MONGODB_URI"]).drop_database(app_config["MONGODB_DB"])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@dataclass
class Team:
    """A team workspace with one member per role, and an outsider with a workspace of their own."""

    app: object
    workspace_id: str
    users: dict = field(default_factory=dict)  # role or "outsider" -> User
    tokens: dict = field(default_factory=dict)  # role or "outsider" -> API token
    outsider_workspace_id: str = ""
    password: str = web.PASSWORD

    def user(self, role):
        return self.users[role]

    def headers(self, role):
        """API headers acting as ``role`` in the team workspace (outsider: their own)."""
        workspace = self.outsider_workspace_id if role == "outsider" else self.workspace_id
        return {"Authorization": f"Bearer {self.tokens[role]}", "X-Workspace": workspace}

    def login(self, client, role):
        web.login(client, self.users[role].email)
        if role != "outsider":
            web.switch_workspace(client, self.workspace_id)
        return client


@pytest.fixture
def team(app):
    users = {
        role: web.create_user(app, f"{role}@example.com", name=role.title())
        for role in ("owner", "admin", "viewer", "outsider")
    }
    workspace_id = web.create_workspace(app, users["owner"], "Team")
    web.add_member(app, workspace_id, users["admin"], "admin")
    web.add_member(app, workspace_id, users["viewer"], "viewer")
    tokens = {role: web.create_token(app, user) for role, user in users.items()}
    return Team(
        app=app,
        workspace_id=workspace_id,
        users=users,
        tokens=tokens,
        outsider_workspace_id=web.personal_workspace(app, users["outsider"]),
    )
