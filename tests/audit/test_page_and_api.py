"""The Audit page and GET /api/v1/workspaces/<id>/audit: owners only; exports parse back;
storage secrets never reach the collection."""

import csv
import io
import json

import pytest

from tests.audit.helpers import events
from tests.plugins.browser import open_team, screenshot_top
from tests.support import web

SECRET = "AuditSecret-9f3c2a7e41"


def api(team, role, tail=""):
    return f"/api/v1/workspaces/{team.workspace_id}/audit{tail}"


def some_events(client, team):
    admin = team.headers("admin")
    for name in ("One", "Two", "Three"):
        assert (
            client.post("/api/v1/projects", json={"name": name}, headers=admin).status_code == 201
        )
    client.post("/api/v1/projects", json={"name": "x"}, headers=team.headers("viewer"))


def test_the_page_is_for_owners(client, team):
    some_events(client, team)
    team.login(client, "owner")
    page = client.get("/audit/")
    assert page.status_code == 200
    assert b"project.create" in page.data and b"access.denied" in page.data
    filtered = client.get("/audit/?outcome=denied")
    assert b"access.denied" in filtered.data and b"project.create</code>" not in filtered.data
    assert b"Audit log" in client.get("/workspace").data
    for role in ("admin", "viewer"):
        other = team.app.test_client()
        team.login(other, role)
        assert other.get("/audit/").status_code == 403


def test_the_api_pages_filters_and_guards(client, team):
    some_events(client, team)
    owner = team.headers("owner")
    body = client.get(api(team, "owner", "?action=project"), headers=owner).json
    assert body["total"] == 3 and [e["target"]["name"] for e in body["events"]] == [
        "Three",
        "Two",
        "One",
    ]
    assert client.get(api(team, "owner", "?outcome=denied"), headers=owner).json["total"] == 1
    assert (
        client.get(
            api(team, "owner", "?date_from=2000-01-01&date_to=2000-01-02"), headers=owner
        ).json["total"]
        == 0
    )
    assert client.get(api(team, "owner", "?date_from=yesterday"), headers=owner).status_code == 400
    assert client.get(api(team, "admin"), headers=team.headers("admin")).status_code == 403
    assert client.get(api(team, "viewer"), headers=team.headers("viewer")).status_code == 403
    assert client.get(api(team, "outsider"), headers=team.headers("outsider")).status_code == 404


def test_exports_parse_back(client, team):
    some_events(client, team)
    owner = team.headers("owner")
    lines = (
        client.get(api(team, "owner", "?format=jsonl"), headers=owner).data.decode().splitlines()
    )
    parsed = [json.loads(line) for line in lines]
    assert [e["seq"] for e in parsed] == sorted(e["seq"] for e in parsed)
    assert {e["action"] for e in parsed} >= {"project.create", "access.denied"}
    text = client.get(
        api(team, "owner", "?format=csv&action=project.create"), headers=owner
    ).data.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["target_name"] for r in rows] == ["One", "Two", "Three"]
    assert all(r["hash"] and r["actor_type"] == "token" for r in rows)
    team.login(client, "owner")
    page_export = client.get("/audit/export.csv?action=project.create")
    assert page_export.status_code == 200 and page_export.headers["Content-Type"].startswith(
        "text/csv"
    )


def test_storage_secrets_never_reach_an_event(app, client, team, moto_service):
    owner = team.headers("owner")
    settings = {**moto_service.settings("audit-bucket"), "secret_access_key": SECRET}
    created = client.post(
        "/api/v1/connections",
        json={"name": "S3", "provider": "s3", "settings": settings},
        headers=owner,
    )
    assert created.status_code == 201, created.json
    url = f"/api/v1/connections/{created.json['id']}"
    changed = {**settings, "secret_access_key": SECRET + "-rotated", "region": "eu-west-1"}
    assert client.patch(url, json={"settings": changed}, headers=owner).status_code == 200
    client.post(f"{url}/test", headers=owner)
    assert client.delete(url, headers=owner).status_code == 204
    recorded = events(app)
    actions = {e["action"] for e in recorded}
    assert {
        "connection.create",
        "connection.update",
        "connection.test",
        "connection.delete",
    } <= actions
    raw = json.dumps([{k: v for k, v in e.items() if k != "_id"} for e in recorded], default=str)
    assert SECRET not in raw and "--------" not in raw and "secret_access_key" not in raw
    update = [e for e in recorded if e["action"] == "connection.update"][-1]
    assert update["after"]["settings"]["region"] == "eu-west-1"


@pytest.mark.browser
def test_the_audit_page_in_a_browser(page, live_server, team, client):
    some_events(client, team)
    team.login(client, "owner")
    web.post_form(client, "/workspace/rename", {"name": "Data Science"}, page="/workspace")
    open_team(page, live_server, team, "owner")
    page.goto(f"{live_server}/audit/")
    page.get_by_role("heading", name="Audit log").wait_for()
    page.locator("details.audit-change summary").first.click()
    screenshot_top(page, "audit-page")
    assert page.locator("table.audit-table tbody tr").count() == 5
