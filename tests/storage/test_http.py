"""The storage pages and JSON API over HTTP: roles, scoping, traversal, limits, failures."""

import io

import pytest

from controllers.context import get_store
from entity.connection import MASK
from tests.support import web

API = "/api/v1/connections"


def default_id(client, team, role="viewer"):
    listed = client.get(API, headers=team.headers(role))
    assert listed.status_code == 200
    body = listed.get_json()
    assert body[0]["provider"] == "local" and set(body[0]) == {"id", "name", "provider"}
    return body[0]["id"]


def put(client, team, cid, path, data, role="admin"):
    return client.put(
        f"{API}/{cid}/files",
        query_string={"path": path},
        data=data,
        headers={**team.headers(role), "Content-Type": "application/octet-stream"},
    )


def test_api_round_trip_on_the_builtin_folder(client, team, app):
    cid = default_id(client, team)
    assert put(client, team, cid, "batches/train 1.csv", b"a,b\n1,2\n").status_code == 201
    assert put(client, team, cid, "batches/empty.csv", b"").status_code == 201
    made = client.post(
        f"{API}/{cid}/folders", json={"path": "batches/sub"}, headers=team.headers("admin")
    )
    assert made.status_code == 201
    listing = client.get(
        f"{API}/{cid}/files", query_string={"path": "batches"}, headers=team.headers("viewer")
    )
    body = listing.get_json()
    assert body["folders"] == ["sub"] and body["next"] is None
    files = {f["name"]: f for f in body["files"]}
    assert files["train 1.csv"]["size"] == 8 and files["empty.csv"]["size"] == 0
    assert files["train 1.csv"]["modified"]
    content = client.get(
        f"{API}/{cid}/files/content",
        query_string={"path": "batches/train 1.csv"},
        headers=team.headers("viewer"),
    )
    assert content.status_code == 200 and content.data == b"a,b\n1,2\n"
    assert "attachment" in content.headers["Content-Disposition"]
    deleted = client.delete(
        f"{API}/{cid}/files", query_string={"path": "batches"}, headers=team.headers("admin")
    )
    assert deleted.status_code == 204
    assert (
        client.get(f"{API}/{cid}/files", headers=team.headers("viewer")).get_json()["folders"] == []
    )


def test_paging_through_the_api(client, team):
    cid = default_id(client, team)
    for i in range(5):
        put(client, team, cid, f"many/{i}.csv", b"x")
    seen, token = [], None
    while True:
        query = {"path": "many", "limit": 2, **({"page": token} if token else {})}
        body = client.get(
            f"{API}/{cid}/files", query_string=query, headers=team.headers("viewer")
        ).get_json()
        seen += [f["name"] for f in body["files"]]
        token = body["next"]
        if not token:
            break
    assert sorted(seen) == [f"{i}.csv" for i in range(5)]


def test_viewers_cannot_write_and_owners_manage_connections(client, team):
    cid = default_id(client, team)
    assert put(client, team, cid, "x.csv", b"1", role="viewer").status_code == 403
    assert (
        client.post(
            f"{API}/{cid}/folders", json={"path": "f"}, headers=team.headers("viewer")
        ).status_code
        == 403
    )
    assert (
        client.delete(
            f"{API}/{cid}/files", query_string={"path": "x.csv"}, headers=team.headers("viewer")
        ).status_code
        == 403
    )
    body = {
        "name": "S3",
        "provider": "s3",
        "settings": {"bucket": "b", "endpoint_url": "http://127.0.0.1:9"},
    }
    assert client.post(API, json=body, headers=team.headers("admin")).status_code == 403
    created = client.post(API, json=body, headers=team.headers("owner"))
    assert created.status_code == 201 and created.get_json()["provider"] == "s3"
    local = {"name": "Disk", "provider": "local", "settings": {"path": "/tmp"}}
    # the outsider owns their own workspace but is not a site admin
    assert client.post(API, json=local, headers=team.headers("outsider")).status_code == 403
    error = client.get(
        f"{API}/{cid}/files", query_string={"path": "missing"}, headers=team.headers("viewer")
    )
    assert error.status_code == 404 and error.get_json()["error"]["message"]


def test_another_workspaces_connection_is_not_found(client, team):
    cid = default_id(client, team)
    put(client, team, cid, "secret.csv", b"team only")
    for method, url in (
        ("get", f"{API}/{cid}/files"),
        ("get", f"{API}/{cid}/files/content?path=secret.csv"),
        ("delete", f"{API}/{cid}/files?path=secret.csv"),
        ("put", f"{API}/{cid}/files?path=evil.csv"),
    ):
        response = getattr(client, method)(url, headers=team.headers("outsider"), data=b"x")
        assert response.status_code == 404, (method, url)
    assert client.get(f"{API}/not-an-id/files", headers=team.headers("viewer")).status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        "../escape.csv",
        "a/../../escape.csv",
        "/etc/passwd",
        "a\\b.csv",
        "nul\x00.csv",
        "a//b.csv",
        "",
        "folder/",
        " ",
    ],
)
def test_traversal_and_empty_names_are_refused(client, team, app, bad):
    cid = default_id(client, team)
    response = put(client, team, cid, bad, b"x")
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert message and "Traceback" not in message and app.config["DATA_DIR"] not in message
    if bad == "folder/":
        return  # a trailing slash is fine for a folder
    made = client.post(f"{API}/{cid}/folders", json={"path": bad}, headers=team.headers("admin"))
    assert made.status_code == 400


def test_upload_over_the_limit_is_413_and_leaves_nothing(client, team, app):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    cid = default_id(client, team)
    response = put(client, team, cid, "big.csv", b"x" * 1001)
    assert response.status_code == 413
    assert "larger than" in response.get_json()["error"]["message"]

    # no Content-Length: the limit is enforced while streaming
    response = client.put(
        f"{API}/{cid}/files?path=streamed.csv",
        input_stream=io.BytesIO(b"y" * 5000),
        headers={**team.headers("admin"), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    listing = client.get(f"{API}/{cid}/files", headers=team.headers("viewer")).get_json()
    assert listing["files"] == []


def test_secrets_never_reach_the_browser(client, team, app):
    settings = {
        "bucket": "b",
        "endpoint_url": "http://127.0.0.1:9",
        "access_key_id": "AKID",
        "secret_access_key": "TOPSECRET",
    }
    created = client.post(
        API,
        json={"name": "S3", "provider": "s3", "settings": settings},
        headers=team.headers("owner"),
    ).get_json()
    shown = client.get(f"{API}/{created['id']}", headers=team.headers("owner")).get_json()
    assert shown["settings"]["secret_access_key"] == MASK
    team.login(client, "owner")
    page = client.get(f"/connections/{created['id']}/edit")
    assert page.status_code == 200 and b"TOPSECRET" not in page.data and MASK.encode() in page.data
    # saving the form with the mask unchanged keeps the secret
    form = {"name": "S3 renamed", "provider": "s3", **{**settings, "secret_access_key": MASK}}
    web.post_form(
        client,
        f"/connections/{created['id']}/edit",
        form,
        page=f"/connections/{created['id']}/edit",
    )
    with app.app_context():
        kept = get_store().connections.get(team.workspace_id, created["id"])
    assert kept.name == "S3 renamed" and kept.settings["secret_access_key"] == "TOPSECRET"
    listing = client.get("/connections/")
    assert b"TOPSECRET" not in listing.data and b"S3 renamed" in listing.data


def test_pages_by_role(client, team):
    team.login(client, "viewer")
    page = client.get("/files/")
    assert page.status_code == 200 and b"Workspace files" in page.data
    assert b"Upload files" not in page.data and b"Connect a bucket" not in page.data
    assert client.get("/connections/new").status_code == 403
    client = team.app.test_client()
    team.login(client, "admin")
    page = client.get("/files/")
    assert b"Upload files" in page.data and b"New folder" in page.data


def test_folder_and_delete_forms_and_download(client, team):
    cid = default_id(client, team)
    put(client, team, cid, "docs/ünïcode report.csv", b"1,2\n")
    team.login(client, "admin")
    web.post_form(
        client,
        "/files/folder",
        {"connection": cid, "parent": "docs", "name": "new folder"},
        page="/files/",
    )
    page = client.get("/files/", query_string={"connection": cid, "path": "docs"})
    assert b"new folder" in page.data and "ünïcode report.csv".encode() in page.data
    download = client.get(
        "/files/download", query_string={"connection": cid, "path": "docs/ünïcode report.csv"}
    )
    assert (
        download.data == b"1,2\n" and "filename*=UTF-8''" in download.headers["Content-Disposition"]
    )
    web.post_form(
        client, "/files/delete", {"connection": cid, "path": "docs/new folder"}, page="/files/"
    )
    listing = client.get(
        f"{API}/{cid}/files", query_string={"path": "docs"}, headers=team.headers("viewer")
    )
    assert listing.get_json()["folders"] == []


def test_stopped_storage_shows_a_clear_error_page(client, team, app, tmp_path):
    from tests.plugins.storage_services import start_storage_service

    service = start_storage_service("s3", tmp_path)
    try:
        bucket = "gone-soon"
        service.create_bucket(bucket)
        body = {"name": "Moto", "provider": "s3", "settings": service.settings(bucket)}
        created = client.post(API, json=body, headers=team.headers("owner")).get_json()
        assert created["test"] == {"ok": True, "message": "Connected: the bucket is reachable."}
        cid = created["id"]
        assert put(client, team, cid, "a.csv", b"1").status_code == 201
        unknown = {**body, "name": "Unknown", "settings": service.settings("no-such-bucket")}
        answer = client.post(API, json=unknown, headers=team.headers("owner"))
        assert answer.status_code == 201
        assert answer.get_json()["test"] == {
            "ok": False,
            "message": "Bucket not found. Check the bucket name and region.",
        }
        listing = client.get(
            f"{API}/{answer.get_json()['id']}/files", headers=team.headers("viewer")
        )
        assert listing.status_code == 502
        assert listing.get_json()["error"]["message"].startswith("Bucket not found")
        service.process.stop()
        api = client.get(f"{API}/{cid}/files", headers=team.headers("viewer"))
        assert api.status_code == 502
        assert "Cannot reach the storage endpoint" in api.get_json()["error"]["message"]
        team.login(client, "viewer")
        page = client.get("/files/", query_string={"connection": cid})
        assert page.status_code == 502
        assert b"Cannot reach the storage endpoint" in page.data and b"Traceback" not in page.data
    finally:
        service.process.stop()
