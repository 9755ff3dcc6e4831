"""In Chromium: press Train, watch log lines arrive without a reload, see the metrics, press
Predict, download the CSV. Screenshots go to test-artifacts/."""

import csv

import pytest

from tests.plugins.browser import screenshot, sign_in
from tests.runs.support import create_project, write_batches

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_train_watch_logs_predict_download(app, live_server, team, client, page, tmp_path):
    admin = team.headers("admin")
    project, frame, prefix = create_project(
        client, admin, "binary", budget=6, name="Breast screening"
    )
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    written = write_batches(
        app, team.workspace_id, project["id"], frame, prefix, "prediction", rows=90
    )

    sign_in(page, live_server, team.users["admin"].email, team.password)
    page.goto(f"{live_server}/workspace")
    with page.expect_navigation():
        page.select_option("#ws-select", team.workspace_id)
    page.goto(f"{live_server}/projects/{project['id']}")
    screenshot(page, "run-project-actions")
    page.click("button[data-action=train]")
    page.wait_for_url("**/runs/*")
    page.evaluate("window.__sameDocument = true")
    page.wait_for_selector("#logs .line")
    first_count = page.locator("#logs .line").count()
    page.wait_for_function(f"document.querySelectorAll('#logs .line').length > {first_count}")
    assert page.evaluate("window.__sameDocument") is True  # new lines, same page: no reload
    screenshot(page, "run-training-live")
    page.wait_for_selector("#status:text('succeeded')", timeout=120_000)
    page.wait_for_selector("#metrics .metric")
    assert page.evaluate("window.__sameDocument") is True
    assert "Balanced accuracy" in page.inner_text("#metrics")
    seqs = page.eval_on_selector_all("#logs .line", "els => els.map(e => +e.dataset.seq)")
    assert seqs == list(range(1, len(seqs) + 1))  # every line once, in order
    screenshot(page, "run-training-succeeded")

    page.goto(f"{live_server}/projects/{project['id']}/models")
    assert "production" in page.inner_text(".model-card")
    screenshot(page, "models")

    page.goto(f"{live_server}/projects/{project['id']}")
    page.click("button[data-action=predict]")
    page.wait_for_url("**/runs/*")
    page.wait_for_selector("#download:not(.hidden)", timeout=120_000)
    screenshot(page, "run-predict-succeeded")
    with page.expect_download() as info:
        page.click("#download")
    target = tmp_path / "predictions.csv"
    info.value.save_as(target)
    with open(target) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(n for _, n in written)
    assert list(rows[0])[:4] == ["source_file", "row", "sample_id", "prediction"]

    page.goto(f"{live_server}/runs")
    screenshot(page, "runs-list")
    page.goto(f"{live_server}/projects/{project['id']}")
    assert "Prediction succeeded" in page.inner_text(".run-actions")
    screenshot(page, "run-project-actions-after")
    page.goto(f"{live_server}/")
    assert "Recent runs" in page.inner_text("main")
    screenshot(page, "runs-dashboard")
