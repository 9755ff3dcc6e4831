"""In Chromium: configure a project by importing schema files, upload batches, validate,
open a rejected file's evidence. Screenshots go to test-artifacts/."""

import json

import pytest

from tests.plugins.browser import screenshot, sign_in
from tests.projects.factories import cancer_frame, csv_text, prediction_classic, training_classic

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_configure_validate_and_read_evidence(app, live_server, team, page, tmp_path):
    training_file = tmp_path / "schema_training.json"
    training_file.write_text(json.dumps(training_classic(), indent="\t"))
    prediction_file = tmp_path / "schema_prediction.json"
    prediction_file.write_text(json.dumps(prediction_classic(), indent="\t"))

    sign_in(page, live_server, team.users["admin"].email, team.password)
    page.goto(f"{live_server}/workspace")
    with page.expect_navigation():
        page.select_option("#ws-select", team.workspace_id)  # the switcher submits itself
    page.goto(f"{live_server}/projects")
    screenshot(page, "projects-empty")
    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Name", exact=True).fill("Breast screening")
    page.get_by_label("Description").fill("Weekly tumour measurements from the lab")
    screenshot(page, "projects-new")
    page.get_by_role("button", name="Create project").click()

    page.get_by_label("Upload schema_training.json").set_input_files(str(training_file))
    page.get_by_role("button", name="Upload and save").click()
    page.get_by_text("The training schema is saved (31 columns)").wait_for()
    page.get_by_role("link", name="Prediction", exact=True).click()
    page.get_by_label("Upload schema_prediction.json").set_input_files(str(prediction_file))
    page.get_by_role("button", name="Upload and save").click()
    page.get_by_text("Target: “target”").wait_for()
    screenshot(page, "projects-schema")

    frame = cancer_frame()
    batches = tmp_path / "batches"
    batches.mkdir()
    (batches / "cancer_01012024_120000.csv").write_text(csv_text(frame[:250]))
    (batches / "cancer_08012024_120000.csv").write_text(csv_text(frame[250:]))
    bad = frame[:60].astype({"mean_area": object})
    bad.loc[[11, 42], "mean_area"] = ["unreadable", "—"]
    (batches / "cancer_15012024_120000.csv").write_text(csv_text(bad))
    (batches / "cancer_22012024_1200.csv").write_text(csv_text(frame[:5]))

    page.get_by_role("link", name="Breast screening").first.click()
    detail_url = page.url
    page.locator(".validate-box").first.get_by_role("link", name="Upload files").click()
    page.wait_for_url("**/files/**")
    page.set_input_files("#file-input", sorted(str(p) for p in batches.iterdir()))
    page.get_by_text("4 of 4 uploaded").wait_for()
    screenshot(page, "projects-upload")

    page.goto(detail_url)
    page.get_by_text("4", exact=True).first.wait_for()
    screenshot(page, "projects-detail")
    page.get_by_role("button", name="Validate training batches").click()
    page.wait_for_url("**/validations/**")
    rejected = page.locator(".file-row.is-bad")
    assert rejected.count() == 2
    assert page.locator(".file-row.is-ok").count() == 2
    row = page.locator('.file-row[data-file="cancer_15012024_120000.csv"]')
    evidence = row.locator(".evidence")
    evidence.wait_for()
    assert "unreadable" in evidence.inner_text()
    assert "12" in evidence.inner_text()  # data row of the first bad value
    screenshot(page, "validation-report")

    ok_row = page.locator('.file-row[data-file="cancer_01012024_120000.csv"]')
    ok_row.locator("summary").click()
    assert ok_row.locator(".file-detail").is_visible()

    page.get_by_role("link", name="Projects", exact=True).first.click()
    page.locator(".project-card").first.wait_for()
    assert "2 ok · 2 rejected" in page.locator(".project-card").first.inner_text()
    screenshot(page, "projects-list")
    page.get_by_role("link", name="Import a project").click()
    page.get_by_label("Project folder as a zip").wait_for()
    screenshot(page, "projects-import")
