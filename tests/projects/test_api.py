"""The JSON API over real HTTP semantics (Flask test client, real embedded MongoDB-wire server)."""

import json

import pytest

from project_library.projects.sample import PREFIX
from tests.deletion.support import wait_deleted
from tests.projects.factories import cancer_frame, csv_text, prediction_classic, training_classic


@pytest.fixture
def project(client, team):
    body = {
        "name": "Cancer",
        "training_schema": training_classic(),
        "prediction_schema": prediction_classic(),
    }
    # Not json=: the test client's encoder sorts keys, and ColName order is the contract.
    response = client.post(
        "/api/v1/projects",
        data=json.dumps(body),
        content_type="application/json",
        headers=team.headers("admin"),
    )
    assert response.status_code == 201, response.json
    return response.json


def storage_for(app, project):
    from controllers.context import get_store
    from integration.registry import project_storage

    with app.app_context():
        store = get_store()
        return project_storage(store, store.projects.get(project["workspace_id"], project["id"]))


def test_create_infers_target_task_metric_and_lays_out_folders(app, client, team, project):
    assert project["target"] == "target"
    assert project["task"] is None or project["task"] in ("binary", "multiclass")
    assert project["root"] == "cancer"
    assert project["connection_id"]
    storage = storage_for(app, project)
    folders = {e.name for e in storage.list("cancer").folders}
    assert {
        "training_batches",
        "prediction_batches",
        "quarantine",
        "models",
        "predictions",
        "logs",
    } <= folders
    listed = client.get("/api/v1/projects", headers=team.headers("viewer"))
    assert [p["id"] for p in listed.json["projects"]] == [project["id"]]
    stored = json.loads(listed.get_data(as_text=True))["projects"][0]["training_schema"]
    assert list(stored["ColName"]) == list(training_classic()["ColName"])  # order kept


def test_patch_and_delete(client, team, project):
    url = f"/api/v1/projects/{project['id']}"
    response = client.patch(
        url, json={"task": "binary", "id_columns": ["mean_radius"]}, headers=team.headers("admin")
    )
    assert response.status_code == 200, response.json
    assert response.json["metric"] == "balanced_accuracy"
    assert response.json["id_columns"] == ["mean_radius"]
    bad = client.patch(url, json={"task": "clustering"}, headers=team.headers("admin"))
    assert bad.status_code == 400 and "Task must be one of" in bad.json["error"]["message"]
    wrong_type = client.patch(url, json={"name": {"$gt": ""}}, headers=team.headers("admin"))
    assert wrong_type.status_code == 400
    unknown = client.patch(url, json={"target": "nope"}, headers=team.headers("admin"))
    assert unknown.status_code == 400
    deletion = client.delete(url, headers=team.headers("admin"))
    assert deletion.status_code == 202
    wait_deleted(client, team.headers("admin"), deletion.get_json()["id"])
    assert client.get(url, headers=team.headers("admin")).status_code == 404


def test_an_empty_schema_object_is_refused_and_null_means_none(client, team, project):
    admin = team.headers("admin")
    empty = client.post(
        "/api/v1/projects", json={"name": "Empty", "training_schema": {}}, headers=admin
    )
    assert empty.status_code == 400 and "'ColName' is missing" in empty.json["error"]["message"]
    none = client.post(
        "/api/v1/projects", json={"name": "None yet", "training_schema": None}, headers=admin
    )
    assert none.status_code == 201 and none.json["training_schema"] is None
    url = f"/api/v1/projects/{project['id']}"
    assert client.patch(url, json={"prediction_schema": {}}, headers=admin).status_code == 400
    cleared = client.patch(url, json={"prediction_schema": None}, headers=admin)
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["prediction_schema"] is None


def test_schema_round_trip_is_byte_for_byte(client, team, project):
    text = json.dumps(training_classic(), indent="\t") + "\n\n"
    url = f"/api/v1/projects/{project['id']}/schemas/training"
    put = client.put(
        url, data=text, headers={**team.headers("admin"), "Content-Type": "application/json"}
    )
    assert put.status_code == 200, put.json
    got = client.get(url, headers=team.headers("viewer"))
    assert got.status_code == 200
    assert got.get_data(as_text=True) == text
    broken = client.put(url, data='{"ColName": {"a": "blob"}}', headers=team.headers("admin"))
    assert broken.status_code == 400
    assert "problems" in broken.json["error"]["details"]
    assert (
        client.get(
            f"/api/v1/projects/{project['id']}/schemas/other", headers=team.headers("viewer")
        ).status_code
        == 404
    )


def test_validation_report_and_restore(app, client, team, project):
    storage = storage_for(app, project)
    frame = cancer_frame()
    storage.write_bytes(
        "cancer/training_batches/cancer_01012024_120000.csv", csv_text(frame[:200]).encode()
    )
    storage.write_bytes(
        "cancer/training_batches/cancer_02012024_120000.csv",
        frame[:20].to_csv(index=False, sep=";").encode(),
    )
    url = f"/api/v1/projects/{project['id']}/validations"
    response = client.post(url, json={"kind": "training"}, headers=team.headers("admin"))
    assert response.status_code == 201, response.json
    report = response.json
    assert report["status"] == "done"
    files = {f["name"]: f for f in report["files"]}
    assert files["cancer_01012024_120000.csv"]["accepted"] is True
    rejected = files["cancer_02012024_120000.csv"]
    assert rejected["accepted"] is False
    assert rejected["reasons"][0]["code"] == "not_comma_separated"
    assert set(rejected["reasons"][0]) == {"code", "message", "evidence"}
    assert report["notes"] == [
        "The task was set to binary: the target has 2 distinct values (change it in Settings)."
    ]
    updated = client.get(f"/api/v1/projects/{project['id']}", headers=team.headers("viewer"))
    assert (updated.json["task"], updated.json["metric"]) == ("binary", "balanced_accuracy")
    again = client.get(f"/api/v1/validations/{report['id']}", headers=team.headers("viewer"))
    assert again.json["files"] == report["files"]
    assert not storage.exists("cancer/training_batches/cancer_02012024_120000.csv")

    storage.write_bytes(
        f"cancer/quarantine/{report['id']}/cancer_02012024_120000.csv",
        csv_text(frame[:20]).encode(),
    )
    restored = client.post(
        f"/api/v1/validations/{report['id']}/restore",
        json={"name": "cancer_02012024_120000.csv"},
        headers=team.headers("admin"),
    )
    assert restored.status_code == 200, restored.json
    second = client.post(url, json={"kind": "training"}, headers=team.headers("admin")).json
    assert all(f["accepted"] for f in second["files"])
    history = client.get(url, headers=team.headers("viewer")).json["validations"]
    assert [v["id"] for v in history] == [second["id"], report["id"]]


def test_validation_input_errors(client, team, project):
    url = f"/api/v1/projects/{project['id']}/validations"
    assert (
        client.post(url, json={"kind": "other"}, headers=team.headers("admin")).status_code == 400
    )
    assert client.post(url, data="nope", headers=team.headers("admin")).status_code == 400
    cleared = client.patch(
        f"/api/v1/projects/{project['id']}",
        json={"prediction_schema": None},
        headers=team.headers("admin"),
    )
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["prediction_schema"] is None
    response = client.post(url, json={"kind": "prediction"}, headers=team.headers("admin"))
    assert response.status_code == 400
    assert "no prediction schema" in response.json["error"]["message"]


def test_viewer_reads_but_cannot_change(client, team, project):
    viewer = team.headers("viewer")
    pid = project["id"]
    assert client.get(f"/api/v1/projects/{pid}", headers=viewer).status_code == 200
    assert client.post("/api/v1/projects", json={"name": "x"}, headers=viewer).status_code == 403
    assert (
        client.patch(f"/api/v1/projects/{pid}", json={"name": "y"}, headers=viewer).status_code
        == 403
    )
    assert client.delete(f"/api/v1/projects/{pid}", headers=viewer).status_code == 403
    assert (
        client.put(
            f"/api/v1/projects/{pid}/schemas/training", data="{}", headers=viewer
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/projects/{pid}/validations", json={"kind": "training"}, headers=viewer
        ).status_code
        == 403
    )


def test_other_workspace_gets_404_on_every_id_route(client, team, project):
    report = client.post(
        f"/api/v1/projects/{project['id']}/validations",
        json={"kind": "training"},
        headers=team.headers("admin"),
    ).json
    outsider = team.headers("outsider")
    pid, vid = project["id"], report["id"]
    calls = [
        ("get", f"/api/v1/projects/{pid}", None),
        ("patch", f"/api/v1/projects/{pid}", {"name": "stolen"}),
        ("delete", f"/api/v1/projects/{pid}", None),
        ("get", f"/api/v1/projects/{pid}/schemas/training", None),
        ("put", f"/api/v1/projects/{pid}/schemas/training", training_classic()),
        ("post", f"/api/v1/projects/{pid}/validations", {"kind": "training"}),
        ("get", f"/api/v1/projects/{pid}/validations", None),
        ("get", f"/api/v1/validations/{vid}", None),
        ("post", f"/api/v1/validations/{vid}/restore", {"name": "x.csv"}),
        ("get", "/api/v1/projects/not-an-id", None),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, json=body, headers=outsider)
        assert response.status_code == 404, (method, url, response.status_code)
    mine = client.get("/api/v1/projects", headers=outsider).json["projects"]
    assert mine == []


def test_unauthenticated_is_401(client, project):
    assert client.get("/api/v1/projects").status_code == 401


def test_sample_project_via_cli(app, team):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["projects", "sample", "--workspace", team.workspace_id])
    assert result.exit_code == 0, result.output
    project_id = result.stdout.strip().splitlines()[-1]
    client = app.test_client()
    project = client.get(f"/api/v1/projects/{project_id}", headers=team.headers("viewer")).json
    assert (project["task"], project["target"]) == ("binary", "diagnosis")
    report = client.post(
        f"/api/v1/projects/{project_id}/validations",
        json={"kind": "training"},
        headers=team.headers("admin"),
    ).json
    rejected = [f["name"] for f in report["files"] if not f["accepted"]]
    assert rejected == [f"{PREFIX}_31012024_090000.csv"]


def test_import_via_cli(app, team, tmp_path):
    from tests.projects.test_setup import classic_folder

    classic_folder(tmp_path / "Cancer_Project")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["projects", "import", str(tmp_path / "Cancer_Project"), "--workspace", "Team"]
    )
    assert result.exit_code == 0, result.output
    project_id = result.stdout.strip().splitlines()[-1]
    client = app.test_client()
    project = client.get(f"/api/v1/projects/{project_id}", headers=team.headers("viewer")).json
    assert project["name"] == "Cancer_Project"
    assert (project["target"], project["task"]) == ("target", "binary")
    missing = runner.invoke(args=["projects", "import", str(tmp_path), "--workspace", "Nope"])
    assert missing.exit_code != 0 and "No workspace named" in missing.output
