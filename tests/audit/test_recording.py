"""Each instrumented action writes its event, with the right actor and outcome, through real
requests to the app."""

import json

import pytest

from tests.audit.helpers import events, last
from tests.projects.factories import post_classic_project, training_classic
from tests.support import web


@pytest.fixture
def project(client, team):
    return post_classic_project(client, team.headers("admin"), "Audited")


def by(team, role):
    return team.user(role).id


def test_sign_in_ok_and_failed_sign_out_and_registration(app, client, team):
    web.post_form(client, "/login", {"email": "owner@example.com", "password": "wrong"})
    failed = last(app, "auth.sign_in")
    assert failed["outcome"] == "failed" and failed["actor"]["email"] == "owner@example.com"
    assert failed["workspace_id"] is None and failed["client"] == "127.0.0.1"

    web.login(client, "owner@example.com")
    ok = last(app, "auth.sign_in")
    assert ok["outcome"] == "ok" and ok["actor"]["id"] == by(team, "owner")
    assert ok["actor"]["email"] == "owner@example.com" and ok["request_id"]

    web.post_form(client, "/logout", page="/")
    assert last(app, "auth.sign_out")["actor"]["id"] == by(team, "owner")

    form = {"email": "new@example.com", "password": web.PASSWORD, "display_name": "New"}
    assert web.post_form(client, "/register", form, page="/register").status_code == 302
    registered = last(app, "auth.register")
    assert registered["actor"]["email"] == "new@example.com" and registered["outcome"] == "ok"


def test_password_change_and_personal_tokens(app, client, team):
    team.login(client, "viewer")
    change = {"current_password": "nope", "new_password": "x" * 12, "confirm_password": "x" * 12}
    web.post_form(client, "/account/password", change, page="/account")
    assert last(app, "auth.password_change")["outcome"] == "failed"
    change["current_password"] = web.PASSWORD
    web.post_form(client, "/account/password", change, page="/account")
    assert last(app, "auth.password_change")["outcome"] == "ok"

    web.post_form(client, "/account/tokens", {"name": "laptop"}, page="/account")
    created = last(app, "token.create")
    assert created["actor"]["id"] == by(team, "viewer") and created["target"]["name"] == "laptop"
    web.post_form(client, f"/account/tokens/{created['target']['id']}/revoke", page="/account")
    assert last(app, "token.revoke")["target"]["id"] == created["target"]["id"]

    body = {"email": "admin@example.com", "password": web.PASSWORD, "name": "ci"}
    assert app.test_client().post("/api/v1/tokens", json=body).status_code == 201
    assert last(app, "token.create")["actor"]["id"] == by(team, "admin")


def test_workspace_and_members(app, client, team):
    team.login(client, "owner")
    web.post_form(client, "/workspace/rename", {"name": "Renamed"}, page="/workspace")
    renamed = last(app, "workspace.rename")
    assert renamed["before"] == {"name": "Team"} and renamed["after"] == {"name": "Renamed"}
    assert renamed["workspace_id"] == team.workspace_id

    web.create_user(app, "joiner@example.com")
    web.post_form(
        client,
        "/workspace/members",
        {"email": "joiner@example.com", "role": "admin"},
        page="/workspace",
    )
    invited = last(app, "member.invite")
    assert invited["target"]["name"] == "joiner@example.com" and invited["after"] == {
        "role": "admin"
    }
    joiner = invited["target"]["id"]
    web.post_form(
        client, f"/workspace/members/{joiner}/role", {"role": "viewer"}, page="/workspace"
    )
    assert last(app, "member.role_change")["after"] == {"role": "viewer"}
    web.post_form(client, f"/workspace/members/{joiner}/remove", page="/workspace")
    assert last(app, "member.remove")["target"]["id"] == joiner

    web.post_form(client, "/workspace/new", {"name": "Second"}, page="/workspace")
    created = last(app, "workspace.create")
    assert (
        created["target"]["name"] == "Second" and created["workspace_id"] == created["target"]["id"]
    )


def test_projects_schemas_validation_runs_and_the_api_token_actor(app, client, team, project):
    admin = team.headers("admin")
    created = last(app, "project.create")
    assert created["project_id"] == project["id"] and created["after"]["name"] == "Audited"
    assert created["actor"]["type"] == "token" and created["actor"]["user_id"] == by(team, "admin")
    assert created["actor"]["id"].startswith("token:")

    url = f"/api/v1/projects/{project['id']}"
    assert client.patch(url, json={"description": "new words"}, headers=admin).status_code == 200
    updated = last(app, "project.update")
    assert updated["before"] == {"description": ""} and updated["after"] == {
        "description": "new words"
    }

    schema = training_classic()
    put = client.put(
        f"{url}/schemas/training",
        data=schema if isinstance(schema, str) else json.dumps(schema),
        headers=admin,
        content_type="application/json",
    )
    assert put.status_code == 200, put.json
    assert last(app, "schema.update")["details"]["kind"] == "training"

    client.post(f"{url}/validations", json={"kind": "training"}, headers=admin)
    validated = last(app, "validation.run")
    assert validated["project_id"] == project["id"] and validated["outcome"] == "ok"

    started = client.post(f"{url}/runs", json={"kind": "train"}, headers=admin)
    assert started.status_code == 202, started.json
    run = last(app, "run.start")
    assert run["target"]["id"] == started.json["id"] and run["project_id"] == project["id"]


def test_files_on_the_workspace_folder(app, client, team):
    admin = team.headers("admin")
    cid = client.get("/api/v1/connections", headers=admin).json[0]["id"]
    base = f"/api/v1/connections/{cid}"
    assert client.post(f"{base}/folders", json={"path": "audit"}, headers=admin).status_code == 201
    assert last(app, "folder.create")["target"]["name"] == "audit"
    put = client.put(f"{base}/files?path=audit/a.csv", data=b"a,b\n1,2\n", headers=admin)
    assert put.status_code == 201
    assert last(app, "file.upload")["after"] == {"size": 8}
    assert client.get(f"{base}/files/content?path=audit/a.csv", headers=admin).status_code == 200
    assert last(app, "file.download")["target"]["name"] == "audit/a.csv"
    assert client.delete(f"{base}/files?path=audit/a.csv", headers=admin).status_code == 204
    assert last(app, "file.delete")["target"]["id"] == f"{cid}:audit/a.csv"


def test_schedules_watchers_and_prediction_tokens(app, client, team, project):
    admin = team.headers("admin")
    url = f"/api/v1/projects/{project['id']}"
    schedule = client.post(
        f"{url}/schedules", json={"kind": "predict", "every": "day", "time": "06:00"}, headers=admin
    ).json
    assert last(app, "schedule.create")["target"]["id"] == schedule["id"]
    client.patch(f"{url}/schedules/{schedule['id']}", json={"paused": True}, headers=admin)
    assert last(app, "schedule.update")["after"]["paused"] is True
    client.delete(f"{url}/schedules/{schedule['id']}", headers=admin)
    assert last(app, "schedule.delete")["project_id"] == project["id"]

    client.put(f"{url}/watch", json={"training": "validate", "prediction": True}, headers=admin)
    assert last(app, "watcher.update")["after"]["training"] == "validate"

    token = client.post(f"{url}/prediction-tokens", json={"name": "shop"}, headers=admin).json
    assert last(app, "prediction_token.create")["target"]["name"] == "shop"
    client.delete(f"{url}/prediction-tokens/{token['id']}", headers=admin)
    assert last(app, "prediction_token.revoke")["target"]["id"] == token["id"]
    assert token["token"] not in json.dumps([str(e) for e in events(app)])


def test_a_403_is_recorded_as_access_denied(app, client, team):
    viewer = team.headers("viewer")
    assert client.post("/api/v1/projects", json={"name": "x"}, headers=viewer).status_code == 403
    denied = last(app, "access.denied")
    assert denied["outcome"] == "denied" and denied["actor"]["user_id"] == by(team, "viewer")
    assert denied["target"] == {
        "type": "route",
        "id": "projects_api.create_project",
        "name": "POST /api/v1/projects",
    }
    assert denied["workspace_id"] == team.workspace_id


def test_runs_the_ticker_starts_name_the_scheduler(app, client, team, project):
    from thread_layer.ticker import _audited_start

    store = app.extensions["store"]
    run = store.runs.get(
        team.workspace_id,
        client.post(
            f"/api/v1/projects/{project['id']}/runs",
            json={"kind": "train"},
            headers=team.headers("admin"),
        ).json["id"],
    )
    _audited_start(store, run, "scheduler")
    assert last(app, "run.start")["actor"] == {"type": "system", "id": "scheduler"}
