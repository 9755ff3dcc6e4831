"""Inputs that used to end in a 500 now answer 4xx with a message in words, and a refused
create leaves nothing in storage (real app, real embedded database, real local storage)."""

import io
import json
import zipfile

import pytest

from controllers.context import get_store
from integration.registry import get_storage
from project_library.validation.schema import MAX_SCHEMA_BYTES
from tests.projects.factories import prediction_classic, training_classic
from tests.support.web import csrf_token


def send(client, method, url, headers, body=None, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json", headers=headers)


@pytest.fixture
def admin(team):
    return team.headers("admin")


@pytest.fixture
def project(client, admin):
    body = {"name": "Cancer", "training_schema": training_classic()}
    body["prediction_schema"] = prediction_classic()
    response = send(client, "post", "/api/v1/projects", admin, body)
    assert response.status_code == 201, response.json
    return response.json


def storage_of(app, workspace_id):
    """The workspace's built-in storage, where its projects' folders are laid out."""
    with app.app_context():
        return get_storage(get_store().connections.ensure_default(workspace_id))


def error_of(response, status):
    assert response.status_code == status, (response.status_code, response.data[:300])
    return response.json["error"]


@pytest.mark.parametrize(
    "raw, words",
    [
        ("[" * 100_000 + "]" * 100_000, "more than 32 levels deep"),
        ('{"name": ' + "[" * 40 + "]" * 40 + "}", "more than 32 levels deep"),
        ('{"name": "x", "time_budget_s": ' + "9" * 5000 + "}", "too large: whole numbers"),
        ('{"name": "x", "time_budget_s": 100000000000000000000}', "too large: whole numbers"),
        ('{"name": "x", "time_budget_s": 1e999}', "too large to be a decimal"),
        ('{"name": NaN}', "NaN is not JSON"),
        ('{"name": "\\ud800"}', "lone surrogate"),
    ],
)
def test_json_bodies_are_bounded_before_they_reach_the_database(client, admin, raw, words):
    error = error_of(send(client, "post", "/api/v1/projects", admin, raw=raw), 400)
    assert error["code"] == "invalid_json" and words in error["message"]


def test_a_json_body_over_the_limit_is_a_413(client, admin):
    raw = json.dumps({"name": "x", "description": "d" * (5 * 1024 * 1024)})
    assert error_of(send(client, "post", "/api/v1/projects", admin, raw=raw), 413)


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("LengthOfDateStampInFile", 10**30, "too large"),
        ("LengthOfDateStampInFile", "9" * 5000, "whole number from 0 to 32"),
        ("LengthOfTimeStampInFile", "²", "whole number from 0 to 32"),
        ("NumberofColumns", "9" * 30, "whole number from 0 to"),
        ("LengthOfDateStampInFile", 33, "whole number from 0 to 32"),
    ],
)
def test_schema_numbers_are_range_checked(client, admin, project, key, value, words):
    schema = {**training_classic(), key: value}
    url = f"/api/v1/projects/{project['id']}/schemas/training"
    error = error_of(send(client, "put", url, admin, schema), 400)
    assert error["code"] == "invalid_schema" and words in " ".join(error["details"]["problems"])
    stored = client.get(url, headers=admin).get_data(as_text=True)
    assert json.loads(stored) == training_classic()  # the old schema is untouched


def test_a_schema_over_the_size_limit_is_a_clear_413(client, admin, project):
    columns = {f"sensor_{i:06d}_{'x' * 40}": "float" for i in range(25_000)}
    schema = {**training_classic(), "NumberofColumns": len(columns), "ColName": columns}
    raw = json.dumps(schema)
    assert len(raw) > MAX_SCHEMA_BYTES
    url = f"/api/v1/projects/{project['id']}/schemas/training"
    error = error_of(send(client, "put", url, admin, raw=raw), 413)
    assert "A schema can be at most 1024 KB" in error["message"]
    created = send(
        client, "post", "/api/v1/projects", admin, {"name": "Big", "training_schema": schema}
    )
    assert error_of(created, 413)["code"] == "too_large"


def test_a_refused_create_leaves_nothing_in_storage(app, client, admin, team, project):
    bad_schema = {**training_classic(), "NumberofColumns": 3}
    storage = storage_of(app, team.workspace_id)
    before = {e.name for e in storage.list("").folders}
    refused = [
        {"name": "Bad schema", "training_schema": bad_schema},
        {"name": "Cancer", "root": "another-folder"},  # the name is taken
        {"name": "Mail", "notify_emails": ["ops@example.com\r\nBcc: all@example.com"]},
        {"name": "Sneaky", "root": "../outside"},
    ]
    for body in refused:
        response = send(client, "post", "/api/v1/projects", admin, body)
        assert 400 <= response.status_code < 500, (body, response.json)
    assert {e.name for e in storage.list("").folders} == before
    assert len(client.get("/api/v1/projects", headers=admin).json["projects"]) == 1


def test_a_refused_zip_import_leaves_nothing_behind(app, client, team):
    team.login(client, "admin")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("p/schema_training.json", json.dumps(training_classic()))
        zipped.writestr("p/Training_Batch_Files/cancer_01012024_120000.csv", "a,b\n1,2\n")
        zipped.writestr("p/Training_Batch_Files/\u202egnp.exe", "not a batch")
    archive.seek(0)
    response = client.post(
        "/projects/import",
        data={"csrf_token": csrf_token(client, "/projects"), "archive": (archive, "rtl.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert b"text-direction marks (U+202E)" in response.data
    storage = storage_of(app, team.workspace_id)
    assert not storage.exists("rtl")
    with app.app_context():
        assert get_store().projects.find_by_name(team.workspace_id, "rtl") is None


def test_a_zip_damaged_after_its_schema_leaves_nothing_behind(app, client, team):
    team.login(client, "admin")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("p/schema_training.json", json.dumps(training_classic()))
        zipped.writestr("p/Training_Batch_Files/cancer_01012024_120000.csv", "UNIQUE-BYTES" * 50)
    data = archive.getvalue().replace(b"UNIQUE-BYTES", b"UNIQUE-BYTEZ", 1)  # a bad CRC
    response = client.post(
        "/projects/import",
        data={
            "csrf_token": csrf_token(client, "/projects"),
            "archive": (io.BytesIO(data), "damaged.zip"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert b"The zip is damaged: &#39;p/Training_Batch_Files/cancer_01012024_120000.csv" in (
        response.data
    )
    assert not storage_of(app, team.workspace_id).exists("damaged")
    with app.app_context():
        assert get_store().projects.find_by_name(team.workspace_id, "damaged") is None


@pytest.mark.parametrize("limit", ["²", "1" * 5000, "0", "1001", "-1", "%2B5", "", "1e3"])
def test_numeric_query_parameters_take_ascii_digits_in_range(client, team, limit):
    viewer = team.headers("viewer")
    connection = client.get("/api/v1/connections", headers=viewer).json[0]["id"]
    response = client.get(f"/api/v1/connections/{connection}/files?limit={limit}", headers=viewer)
    assert "'limit' must be a whole number from 1 to 1000" in error_of(response, 400)["message"]


@pytest.mark.parametrize("after", ["²", str(10**30), "9" * 5000, "-3"])
def test_a_log_cursor_is_range_checked(client, admin, project, after):
    run = send(client, "post", f"/api/v1/projects/{project['id']}/runs", admin, {"kind": "train"})
    assert run.status_code == 202
    response = client.get(f"/api/v1/runs/{run.json['id']}/logs?after={after}", headers=admin)
    assert "'after' must be a whole number from 0 to" in error_of(response, 400)["message"]
    ok = client.get(f"/api/v1/runs/{run.json['id']}/logs?after=9223372036854775807", headers=admin)
    assert ok.status_code == 200


@pytest.mark.parametrize("version", [str(10**30), "²", "9" * 5000])
def test_an_out_of_range_model_version_is_a_4xx(client, admin, project, version):
    url = f"/api/v1/projects/{project['id']}/models/{version}/promote"
    assert client.post(url, headers=admin).status_code == 404


def upload(client, headers, connection, path, data):
    return client.put(
        f"/api/v1/connections/{connection}/files?path={path}",
        data=data,
        content_type="application/octet-stream",
        headers=headers,
    )


def test_a_csv_field_over_the_csv_limit_is_a_located_rejection(client, admin, project):
    connection = project["connection_id"]
    columns = list(training_classic()["ColName"])
    good = ",".join("1" for _ in columns)
    huge = ",".join(["1", "x" * 200_000, *["1"] * (len(columns) - 2)])
    body = ",".join(columns) + "\n" + good + "\n" + huge + "\n"
    batch = "cancer/training_batches/cancer_01012024_120000.csv"
    assert upload(client, admin, connection, batch, body.encode()).status_code == 201
    header = ",".join(["h" * 200_000, *columns[1:]]) + "\n" + good + "\n"
    other = "cancer/training_batches/cancer_02012024_120000.csv"
    assert upload(client, admin, connection, other, header.encode()).status_code == 201
    url = f"/api/v1/projects/{project['id']}/validations"
    report = send(client, "post", url, admin, {"kind": "training"})
    assert report.status_code == 201, report.json
    reasons = {f["name"]: f["reasons"] for f in report.json["files"]}
    (data_row,) = [
        r for r in reasons["cancer_01012024_120000.csv"] if r["code"] == "field_too_large"
    ]
    assert data_row["evidence"]["row"] == 2 and data_row["evidence"]["column"] == 2
    assert f"column 2 ('{columns[1]}')" in data_row["message"]
    (in_header,) = reasons["cancer_02012024_120000.csv"]
    assert in_header["code"] == "field_too_large" and in_header["evidence"]["row"] is None
    assert in_header["message"].startswith("The header, column 1")


def test_binary_bytes_as_a_sample_file_are_refused_with_a_reason(client, team, project):
    team.login(client, "admin")
    response = client.post(
        f"/projects/{project['id']}/schemas/training/propose",
        data={
            "csrf_token": csrf_token(client, "/projects"),
            "sample_file": (io.BytesIO(b"PK\x03\x04\x00\x00\xff\xfe" * 1000), "book.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert b"not UTF-8 CSV text (it looks binary" in response.data
