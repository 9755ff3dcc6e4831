"""Project and validation pages through the Flask test client, signed in as each role."""

import io
import json
import re
import zipfile

import pytest

from tests.projects.factories import cancer_frame, csv_text, prediction_classic, training_classic
from tests.support.web import csrf_token


def post(client, url, data=None, **kwargs):
    token = csrf_token(client, "/projects")
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def create_project(client, name="Wafer line 3"):
    response = post(
        client,
        "/projects/new",
        {
            "name": name,
            "description": "Sensors",
            "missing_markers": "NULL, ?",
            "empty_is_missing": "1",
            "time_budget_s": "60",
        },
    )
    assert response.status_code == 302, response.data[:2000]
    match = re.search(r"/projects/([0-9a-f]{24})/schemas/training", response.headers["Location"])
    return match.group(1)


def test_admin_creates_project_and_uploads_schemas(client, team):
    team.login(client, "admin")
    project_id = create_project(client)
    upload = post(
        client,
        f"/projects/{project_id}/schemas/training",
        {
            "mode": "upload",
            "schema_file": (
                io.BytesIO(json.dumps(training_classic()).encode()),
                "schema_training.json",
            ),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert upload.status_code == 200
    assert b"The training schema is saved (31 columns)" in upload.data
    pasted = post(
        client,
        f"/projects/{project_id}/schemas/prediction",
        {
            "mode": "paste",
            "schema_text": json.dumps(prediction_classic()),
        },
        follow_redirects=True,
    )
    assert "Target: “target”".encode() in pasted.data
    detail = client.get(f"/projects/{project_id}")
    assert detail.status_code == 200
    for folder in (b"training_batches/", b"quarantine/", b"models/", b"predictions/", b"logs/"):
        assert folder in detail.data
    exported = client.get(f"/projects/{project_id}/schemas/prediction/export")
    assert exported.headers["Content-Disposition"].endswith('"schema_prediction.json"')
    assert json.loads(exported.data) == prediction_classic()


def test_schema_problems_are_shown_in_words(client, team):
    team.login(client, "admin")
    project_id = create_project(client)
    response = post(
        client,
        f"/projects/{project_id}/schemas/training",
        {
            "mode": "paste",
            "schema_text": '{"SampleFileName": "a_01012024_120000.csv", '
            '"LengthOfDateStampInFile": 8, "LengthOfTimeStampInFile": 6, "NumberofColumns": 3, '
            '"ColName": {"a": "float"}}',
        },
    )
    assert response.status_code == 400
    assert b"says 3 but ColName lists 1 columns" in response.data


def test_table_editor_and_sample_proposal(client, team):
    team.login(client, "admin")
    project_id = create_project(client)
    proposal = post(
        client,
        f"/projects/{project_id}/schemas/training/propose",
        {
            "sample_file": (
                io.BytesIO(b"id,size,label\nr1,1.5,yes\nr2,2.5,no\n"),
                "plants_01022024_101010.csv",
            ),
        },
        content_type="multipart/form-data",
    )
    assert proposal.status_code == 200
    assert (
        b"Proposed 3 columns" in proposal.data
        and b'value="plants_01022024_101010.csv"' in proposal.data
    )
    saved = client.post(
        f"/projects/{project_id}/schemas/training",
        data={
            "csrf_token": csrf_token(client, "/projects"),
            "mode": "table",
            "sample_file_name": "plants_01022024_101010.csv",
            "date_length": "8",
            "time_length": "6",
            "col_name": ["id", "size", "label"],
            "col_type": ["string", "float", "string"],
            "col_position": ["1", "2", "3"],
        },
    )
    assert saved.status_code == 302
    exported = json.loads(client.get(f"/projects/{project_id}/schemas/training/export").data)
    assert exported["ColName"] == {"id": "varchar", "size": "float", "label": "varchar"}


def test_validate_now_report_and_restore(app, client, team):
    team.login(client, "admin")
    project_id = create_project(client, "Cancer")
    post(
        client,
        f"/projects/{project_id}/schemas/training",
        {"mode": "paste", "schema_text": json.dumps(training_classic())},
    )
    from controllers.context import get_store
    from integration.registry import project_storage

    with app.app_context():
        project = get_store().projects.get(team.workspace_id, project_id)
        storage = project_storage(get_store(), project)
    frame = cancer_frame()
    storage.write_bytes(
        "cancer/training_batches/cancer_01012024_120000.csv", csv_text(frame[:100]).encode()
    )
    bad = frame[:10].astype({"mean_area": object})
    bad.loc[3, "mean_area"] = "n/a?"
    storage.write_bytes(
        "cancer/training_batches/cancer_02012024_120000.csv", csv_text(bad).encode()
    )
    response = post(client, f"/projects/{project_id}/validate/training")
    assert response.status_code == 302
    report_url = response.headers["Location"]
    page = client.get(report_url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "is-bad" in text and "is-ok" in text
    assert "type mismatch" in text and "n/a?" in text
    validation_id = report_url.rstrip("/").rsplit("/", 1)[-1]
    restored = post(
        client,
        f"/validations/{validation_id}/restore",
        {"name": "cancer_02012024_120000.csv"},
        follow_redirects=True,
    )
    assert "is back in the batch folder" in restored.get_data(as_text=True)
    assert storage.exists("cancer/training_batches/cancer_02012024_120000.csv")

    client = team.login(app.test_client(), "viewer")
    assert client.get(report_url).status_code == 200
    assert post(client, f"/projects/{project_id}/validate/training").status_code == 403
    assert client.get(f"/projects/{project_id}/edit").status_code == 403
    assert post(client, f"/projects/{project_id}/edit", {"name": "x"}).status_code == 403
    assert post(client, f"/validations/{validation_id}/restore", {"name": "x"}).status_code == 403

    client = team.login(app.test_client(), "outsider")
    for url in (
        f"/projects/{project_id}",
        f"/projects/{project_id}/schemas/training",
        f"/projects/{project_id}/schemas/training/export",
        report_url,
    ):
        assert client.get(url).status_code == 404, url


def test_sample_button_and_zip_import(client, team):
    team.login(client, "admin")
    empty = client.get("/projects")
    assert b"Create the sample project" in empty.data
    response = post(client, "/projects/sample", follow_redirects=True)
    assert response.status_code == 200 and b"Breast cancer (sample)" in response.data
    buffer = io.BytesIO()
    frame = cancer_frame()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("proj/schema_training.json", json.dumps(training_classic()))
        archive.writestr("proj/schema_prediction.json", json.dumps(prediction_classic()))
        archive.writestr("proj/Training_Batch_Files/cancer_01012024_120000.csv", csv_text(frame))
    buffer.seek(0)
    imported = post(
        client,
        "/projects/import",
        {"archive": (buffer, "screening.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert imported.status_code == 200
    assert "Imported “screening”: 1 training and 0 prediction".encode() in imported.data
    not_zip = post(
        client,
        "/projects/import",
        {"archive": (io.BytesIO(b"x"), "a.zip")},
        content_type="multipart/form-data",
    )
    assert not_zip.status_code == 400 and b"not a zip archive" in not_zip.data
    listing = client.get("/projects").get_data(as_text=True)
    assert "Breast cancer (sample)" in listing and "screening" in listing


@pytest.mark.parametrize("role, status", [("viewer", 200), ("admin", 200)])
def test_list_page_roles(client, team, role, status):
    team.login(client, role)
    assert client.get("/projects").status_code == status


def test_overview_panel_lists_projects(client, team):
    team.login(client, "admin")
    before = client.get("/").get_data(as_text=True)
    assert "Create the sample project" in before
    create_project(client, "Kiln sensors")
    after = client.get("/").get_data(as_text=True)
    assert "Kiln sensors" in after and "Not validated" in after
