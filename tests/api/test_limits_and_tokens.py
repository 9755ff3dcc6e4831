"""Limits in words (lengths, invisible characters, email lists, upload sizes) and token
expiry, through the real app and database."""

import io
import json
import os
import zipfile
from datetime import datetime, timedelta

import pytest

from controllers.context import get_db, get_store
from entity.records import now
from tests.projects.factories import prediction_classic, training_classic
from tests.support import web

BIDI = ["\u202egnp.exe", "a\u2066b", "x\u200fy", "tab\there", "nul\x00", "line\u2028break"]


def send(client, method, url, headers, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )


def message(response, status=400):
    assert response.status_code == status, (response.status_code, response.data[:300])
    return response.json["error"]["message"]


@pytest.fixture
def admin(team):
    return team.headers("admin")


def test_project_names_and_descriptions_have_limits_in_words(client, admin):
    long_name = message(send(client, "post", "/api/v1/projects", admin, {"name": "n" * 100_000}))
    assert long_name == "Project name can be at most 80 characters."
    for name in BIDI:
        refused = message(send(client, "post", "/api/v1/projects", admin, {"name": name}))
        assert "cannot contain control characters or text-direction marks (U+" in refused
    description = {"name": "Notes", "description": "d" * 2001}
    assert "at most 2000" in message(send(client, "post", "/api/v1/projects", admin, description))
    multiline = {"name": "Notes", "description": "Line one.\r\nLine two.\tTabbed."}
    assert send(client, "post", "/api/v1/projects", admin, multiline).status_code == 201


def test_other_names_refuse_text_direction_marks(app, client, team):
    owner = team.headers("owner")
    connection = {"name": "\u202eelif", "provider": "s3", "settings": {"bucket": "b"}}
    assert "U+202E" in message(send(client, "post", "/api/v1/connections", owner, connection))
    token = {"email": "admin@example.com", "password": team.password, "name": "ci\u202e"}
    assert "Token name cannot contain" in message(send(client, "post", "/api/v1/tokens", {}, token))
    team.login(client, "admin")
    workspace = web.post_form(client, "/workspace/new", {"name": "Team\u2067"}, page="/")
    assert workspace.status_code == 400 and b"U+2067" in workspace.data
    profile = web.post_form(
        client, "/account/profile", {"display_name": "Ada\u200e"}, page="/account"
    )
    assert profile.status_code == 400 and b"Display name cannot contain" in profile.data


def test_also_notify_is_a_validated_list_of_addresses(client, admin):
    injected = {"name": "Mail", "notify_emails": ["ops@example.com\r\nBcc: all@example.com"]}
    words = message(send(client, "post", "/api/v1/projects", admin, injected))
    assert words.startswith("Also notify: 'ops@example.com\\r\\nBcc: all@example.com'")
    invalid = {"name": "Mail", "notify_emails": ["not an address"]}
    assert "is not a valid email address" in message(
        send(client, "post", "/api/v1/projects", admin, invalid)
    )
    many = {"name": "Mail", "notify_emails": [f"u{i}@example.com" for i in range(21)]}
    assert "at most 20 addresses" in message(send(client, "post", "/api/v1/projects", admin, many))
    fine = {
        "name": "Mail",
        "notify_emails": ["Ops@Example.com", "ops@example.com", "b@example.org"],
    }
    created = send(client, "post", "/api/v1/projects", admin, fine)
    assert created.json["notify_emails"] == ["ops@example.com", "b@example.org"]


@pytest.mark.parametrize("name", BIDI)
def test_file_names_refuse_control_and_text_direction_characters(client, admin, name):
    connection = client.get("/api/v1/connections", headers=admin).json[0]["id"]
    put = client.put(
        f"/api/v1/connections/{connection}/files",
        query_string={"path": f"folder/{name}"},
        data=b"x",
        content_type="application/octet-stream",
        headers=admin,
    )
    assert "cannot contain control characters or text-direction marks" in message(put)
    folder = send(
        client, "post", f"/api/v1/connections/{connection}/folders", admin, {"path": name}
    )
    assert "text-direction marks" in message(folder)


@pytest.fixture
def small_uploads(app_config):
    app_config["MAX_UPLOAD_BYTES"] = 20_000


def zipped(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def test_zip_imports_and_schema_bodies_follow_the_upload_limit(small_uploads, app, client, team):
    team.login(client, "admin")
    schema = json.dumps(training_classic())
    noise = os.urandom(30_000)  # does not compress: the zip itself is over the limit
    over = zipped({"p/schema_training.json": schema, "p/noise.bin": noise})
    response = web.post_form(
        client,
        "/projects/import",
        {"archive": (over, "big.zip")},
        page="/projects",
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and b"larger than the 19.5 KB" in response.data
    unpacks = zipped(
        {
            "p/schema_training.json": schema,
            "p/Training_Batch_Files/cancer_01012024_120000.csv": "1," * 50_000,
        }
    )
    refused = web.post_form(
        client,
        "/projects/import",
        {"archive": (unpacks, "bomb.zip")},
        page="/projects",
        content_type="multipart/form-data",
    )
    assert (
        refused.status_code == 400 and b"unpacks to more than one upload may hold" in refused.data
    )
    with app.app_context():
        assert get_store().projects.find_by_name(team.workspace_id, "bomb") is None
    admin = team.headers("admin")
    project = send(client, "post", "/api/v1/projects", admin, {"name": "Small"}).json
    big_schema = {**prediction_classic(), "ColName": {f"c{i:05d}": "float" for i in range(2000)}}
    big_schema["NumberofColumns"] = 2000
    put = send(
        client, "put", f"/api/v1/projects/{project['id']}/schemas/training", admin, big_schema
    )
    assert "larger than the 19.5 KB" in message(put, 413)


def token_request(client, team, **extra):
    body = {"email": "viewer@example.com", "password": team.password, "name": "ci", **extra}
    return send(client, "post", "/api/v1/tokens", {}, body)


def test_a_token_expires_after_the_lifetime_chosen(app, client, team):
    default = token_request(client, team)
    assert default.status_code == 201
    expires = default.json["expires_at"]
    lifetime = _parsed(expires) - _parsed(default.json["created_at"])
    assert lifetime == timedelta(days=90)
    assert token_request(client, team, expires="never").json["expires_at"] is None
    month = token_request(client, team, expires="30d").json
    assert _parsed(month["expires_at"]) - _parsed(month["created_at"]) == timedelta(days=30)
    assert "'expires' is one of 30d, 90d, 365d, never" in message(
        token_request(client, team, expires="5d")
    )
    headers = {"Authorization": f"Bearer {month['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        get_db().api_tokens.update_one(
            {"name": "ci", "hint": month["hint"]},
            {"$set": {"expires_at": now() - timedelta(seconds=1)}},
        )
    expired = client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json["error"]["code"] == "token_expired"
    assert "expired on" in expired.json["error"]["message"]


def test_tokens_made_before_expiry_existed_never_expire(app, client, team):
    created = token_request(client, team).json
    with app.app_context():
        get_db().api_tokens.update_one({"hint": created["hint"]}, {"$unset": {"expires_at": 1}})
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    listed = client.get("/api/v1/tokens", headers=headers).json["tokens"]
    mine = next(t for t in listed if t["id"] == created["id"])
    assert mine["expires_at"] is None and mine["last_used_at"] is not None


def test_the_token_list_shows_last_use_and_expiry(client, team):
    team.login(client, "viewer")
    web.post_form(
        client, "/account/tokens", {"name": "nightly", "expires": "365d"}, page="/account"
    )
    page = client.get("/account").get_data(as_text=True)
    assert "<th>Expires</th>" in page and "<th>Last used</th>" in page
    assert '<option value="90d" selected>90 days</option>' in page
    assert '<option value="365d">1 year</option>' in page
    refused = web.post_form(
        client, "/account/tokens", {"name": "x", "expires": "10y"}, page="/account"
    )
    assert refused.status_code == 400


def test_prediction_tokens_get_the_same_expiry_choice(client, team):
    admin = team.headers("admin")
    project = send(client, "post", "/api/v1/projects", admin, {"name": "Served"}).json
    team.login(client, "admin")
    created = web.post_form(
        client,
        f"/projects/{project['id']}/prediction-tokens",
        {"name": "checkout", "expires": "never"},
        page=f"/projects/{project['id']}",
    )
    assert created.status_code == 302
    detail = client.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert 'name="expires"' in detail and "<th>Expires</th>" in detail
    listed = client.get(f"/api/v1/projects/{project['id']}/prediction-tokens", headers=admin)
    (token,) = listed.json["tokens"]
    assert token["name"] == "checkout" and token["expires_at"] is None
    default = send(client, "post", f"/api/v1/projects/{project['id']}/prediction-tokens", admin, {})
    assert default.json["expires_at"] is not None


def _parsed(text):
    return datetime.fromisoformat(text)
