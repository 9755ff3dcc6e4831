"""Helpers for tests that act as people: accounts, sign-in, CSRF-protected forms."""

import re

from controllers.context import get_db, get_store
from entity.user import UserRepository
from entity.workspace import WorkspaceRepository
from project_library.accounts import service as accounts

PASSWORD = "correct horse battery"

_CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


def create_user(app, email, password=PASSWORD, name="", admin=None):
    with app.app_context():
        return accounts.register(get_store(), email, password, name, admin=admin)


def create_token(app, user, name="tests"):
    with app.app_context():
        return accounts.create_token(get_store(), user, name)[1]


def create_workspace(app, owner, name):
    with app.app_context():
        return accounts.create_team_workspace(get_store(), owner, name).id


def add_member(app, workspace_id, user, role):
    with app.app_context():
        WorkspaceRepository(get_db()).add_member(workspace_id, user.id, role)


def personal_workspace(app, user):
    with app.app_context():
        mine = WorkspaceRepository(get_db()).for_user(user.id)
    return next(w.id for w, _ in mine if w.personal)


def get_user(app, email):
    with app.app_context():
        return UserRepository(get_db()).find_by_email(email)


def csrf_token(client, page="/login"):
    """The CSRF token of the client's session, read from a page's <meta> tag."""
    response = client.get(page)
    match = _CSRF_META.search(response.data)
    assert match, f"no csrf-token meta on {page} (status {response.status_code})"
    return match.group(1).decode()


def post_form(client, url, data=None, page="/login", **kwargs):
    """POST a form the way a browser would, with the session's CSRF token."""
    payload = {"csrf_token": csrf_token(client, page), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def login(client, email, password=PASSWORD, remember=False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "on"
    response = post_form(client, "/login", data)
    assert response.status_code == 302, response.data[:500]
    return response


def switch_workspace(client, workspace_id):
    response = post_form(client, "/workspace/switch", {"workspace_id": workspace_id}, page="/")
    assert response.status_code == 302
    return response
