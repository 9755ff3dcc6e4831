"""The JSON API: tokens, bearer auth, error bodies, operator injection."""

import pytest

from controllers.context import get_db
from tests.support import web


def test_token_create_use_revoke(client, app):
    web.create_user(app, "api@example.com", name="Api")
    created = client.post(
        "/api/v1/tokens", json={"email": "api@example.com", "password": web.PASSWORD, "name": "ci"}
    )
    assert created.status_code == 201
    token = created.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.get_json()["email"] == "api@example.com"
    assert me.get_json()["workspace"]["role"] == "owner"
    spaces = client.get("/api/v1/workspaces", headers=headers).get_json()
    assert [(w["personal"], w["role"]) for w in spaces] == [(True, "owner")]

    with app.app_context():
        stored = get_db().api_tokens.find_one({})
    assert token not in str(stored), "only a hash of the token is stored"

    web.login(client, "api@example.com")
    assert token.encode() not in client.get("/account").data, "shown once only"
    revoked = web.post_form(client, f"/account/tokens/{stored['_id']}/revoke", page="/account")
    assert revoked.status_code == 302
    after = app.test_client().get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.get_json()["error"]["code"] == "invalid_token"


def test_token_created_on_profile_page_is_shown_once(client, app):
    web.create_user(app, "page@example.com")
    web.login(client, "page@example.com")
    web.post_form(client, "/account/tokens", {"name": "nightly"}, page="/account")
    first = client.get("/account").data
    assert b"Copy your new token now" in first
    assert b"Copy your new token now" not in client.get("/account").data


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"email": {"$gt": ""}, "password": {"$gt": ""}}, 400, "invalid_input"),
        ({"email": "api@example.com", "password": {"$ne": None}}, 400, "invalid_input"),
        ({"email": "api@example.com"}, 400, "invalid_input"),
        ({"email": "api@example.com", "password": "wrong password"}, 401, "bad_credentials"),
        (["not", "an", "object"], 400, "invalid_json"),
    ],
)
def test_bad_token_requests(client, app, body, status, code):
    web.create_user(app, "api@example.com")
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert set(response.get_json()["error"]) >= {"code", "message"}
    with app.app_context():
        assert get_db().api_tokens.count_documents({}) == 0


def test_not_json_body(client, app):
    response = client.post("/api/v1/tokens", data="email=a", content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_api_needs_a_valid_token(client):
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer mlp_forged"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_token"
    basic = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    assert client.get("/api/v1/nothing-here").get_json()["error"]["code"] == "not_found"


def test_bearer_token_wins_over_a_session_cookie(team, client):
    team.login(client, "viewer")
    me = client.get("/api/v1/me", headers=team.headers("admin")).get_json()
    assert me["email"] == "admin@example.com" and me["workspace"]["role"] == "admin"


def test_session_writes_to_the_api_need_csrf(team, client):
    team.login(client, "owner")
    response = client.post(
        "/api/v1/tokens", json={"email": "owner@example.com", "password": web.PASSWORD}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
