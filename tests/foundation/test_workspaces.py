"""Workspaces and roles over HTTP: who may do what, and foreign ids answer 404."""

import pytest

from controllers.context import get_db
from entity.workspace import WorkspaceRepository
from tests.support import web


def members(app, workspace_id):
    with app.app_context():
        return {m.user_id: m.role for m in WorkspaceRepository(get_db()).list_members(workspace_id)}


def test_everyone_gets_a_personal_workspace(app):
    user = web.create_user(app, "solo@example.com")
    with app.app_context():
        mine = WorkspaceRepository(get_db()).for_user(user.id)
    assert [(w.personal, role) for w, role in mine] == [(True, "owner")]


def test_owner_invites_changes_role_and_removes(team, client, app):
    newcomer = web.create_user(app, "new@example.com")
    team.login(client, "owner")
    invited = web.post_form(
        client,
        "/workspace/members",
        {"email": "new@example.com", "role": "viewer"},
        page="/workspace",
    )
    assert invited.status_code == 302
    assert members(app, team.workspace_id)[newcomer.id] == "viewer"
    changed = web.post_form(
        client, f"/workspace/members/{newcomer.id}/role", {"role": "admin"}, page="/workspace"
    )
    assert changed.status_code == 302
    assert members(app, team.workspace_id)[newcomer.id] == "admin"
    removed = web.post_form(client, f"/workspace/members/{newcomer.id}/remove", page="/workspace")
    assert removed.status_code == 302
    assert newcomer.id not in members(app, team.workspace_id)


def test_invite_errors_are_clear(team, client, app):
    team.login(client, "owner")
    unknown = web.post_form(
        client,
        "/workspace/members",
        {"email": "ghost@example.com", "role": "viewer"},
        page="/workspace",
    )
    assert unknown.status_code == 404 and b"register first" in unknown.data
    twice = web.post_form(
        client,
        "/workspace/members",
        {"email": "admin@example.com", "role": "viewer"},
        page="/workspace",
    )
    assert twice.status_code == 409
    bad_role = web.post_form(
        client,
        "/workspace/members",
        {"email": "outsider@example.com", "role": "god"},
        page="/workspace",
    )
    assert bad_role.status_code == 400
    assert team.users["outsider"].id not in members(app, team.workspace_id)


def test_last_owner_cannot_leave(team, client, app):
    team.login(client, "owner")
    owner_id = team.users["owner"].id
    response = web.post_form(
        client, f"/workspace/members/{owner_id}/role", {"role": "viewer"}, page="/workspace"
    )
    assert response.status_code == 409 and b"at least one owner" in response.data
    assert members(app, team.workspace_id)[owner_id] == "owner"


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_only_owners_manage_members(team, client, app, role):
    team.login(client, role)
    target = team.users["viewer"].id
    attempts = [
        ("/workspace/members", {"email": "outsider@example.com", "role": "viewer"}),
        (f"/workspace/members/{target}/role", {"role": "owner"}),
        (f"/workspace/members/{target}/remove", {}),
        ("/workspace/rename", {"name": "Mine now"}),
    ]
    for url, data in attempts:
        assert web.post_form(client, url, data, page="/").status_code == 403, url
    assert members(app, team.workspace_id)[target] == "viewer"


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_member_sees_the_workspace(team, client, role):
    team.login(client, role)
    page = client.get("/workspace")
    assert page.status_code == 200
    assert b"Team" in page.data
    assert (b"Invite a colleague" in page.data) == (role == "owner")


def test_foreign_ids_answer_404(team, client, app):
    """Every id-bearing route of the foundation, called with another workspace's ids."""
    outsider = team.users["outsider"]
    team.login(client, "owner")
    assert (
        web.post_form(
            client, "/workspace/switch", {"workspace_id": team.outsider_workspace_id}, page="/"
        ).status_code
        == 404
    )
    for url in (
        f"/workspace/members/{outsider.id}/role",
        f"/workspace/members/{outsider.id}/remove",
    ):
        assert web.post_form(client, url, {"role": "viewer"}, page="/").status_code == 404, url
    for malformed in ("not-an-id", "0" * 24):
        assert (
            web.post_form(client, f"/workspace/members/{malformed}/remove", page="/").status_code
            == 404
        )
    outsider_token = web.create_token(app, outsider)
    with app.app_context():
        token_id = str(get_db().api_tokens.find_one({"user_id": outsider.id})["_id"])
    assert web.post_form(client, f"/account/tokens/{token_id}/revoke", page="/").status_code == 404
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {outsider_token}"}).status_code
        == 200
    ), "the outsider's token still works"
    api = client.get(
        "/api/v1/me", headers={**team.headers("owner"), "X-Workspace": team.outsider_workspace_id}
    )
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "not_found"
    assert outsider.id not in members(app, team.workspace_id)


def test_switching_workspace_changes_what_pages_show(team, client, app):
    personal = web.personal_workspace(app, team.users["admin"])
    team.login(client, "admin")
    assert b"Team" in client.get("/").data
    web.switch_workspace(client, personal)
    page = client.get("/").data
    assert b"Personal workspace" in page
