"""In Chromium: a model version's page with its figures and the comparison with production,
the project page's history, the self-contained HTML report opened with the network cut off,
and a held prediction run's drift section released by an admin. Screenshots go to
test-artifacts/reports-*.png and drift-*.png."""

import pytest

from tests.plugins.browser import open_team, screenshot, screenshot_top
from tests.runs.support import start, train_project, wait_for
from tests.runs.test_drift_flow import predict, shifted, write_prediction_file

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_model_page_history_and_report(app, live_server, team, client, page):
    admin = team.headers("admin")
    project, _, _ = train_project(client, team, app, "multiclass", name="Wine cellars")
    again = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert again["status"] == "succeeded", again
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_team(page, live_server, team, "viewer")

    page.goto(f"{live_server}/projects/{project['id']}/models/2")
    page.get_by_role("heading", name="Held-out metrics").wait_for()
    for name in ("permutation_importance", "candidates", "roc", "calibration"):
        assert page.locator(f"#figure-{name} svg").count() == 1, name
    assert page.locator(".report-svg svg").count() >= 6
    screenshot_top(page, "reports-model-page")

    page.goto(f"{live_server}/projects/{project['id']}")
    history = page.locator("#history")
    history.wait_for()
    assert history.locator("circle.point").count() == 2
    assert history.locator("circle.point-production").count() == 1
    history.scroll_into_view_if_needed()
    screenshot(page, "reports-project-history", full_page=False)

    requests = []
    page.context.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    report = client.get(f"/api/v1/projects/{project['id']}/models/2/report", headers=admin)
    page.set_content(report.get_data(as_text=True))
    assert page.locator("svg").count() >= 6
    assert not requests, requests  # nothing fetched: the report is self-contained
    screenshot(page, "reports-html-report")
    page.context.unroute("**/*")
    assert not errors, errors


def test_held_run_shows_its_drift_and_is_released(app, live_server, team, client, page):
    admin = team.headers("admin")
    project, frame, prefix = train_project(
        client, team, app, "binary", name="Screening (held)", drift_action="hold"
    )
    batch = shifted(frame.sample(200, random_state=4))
    write_prediction_file(app, team.workspace_id, project["id"], batch, prefix, 0)
    held = predict(client, admin, project["id"])
    assert held["status"] == "needs_review", held

    open_team(page, live_server, team, "admin")
    page.goto(f"{live_server}/runs/{held['id']}")
    page.get_by_role("heading", name="Held for review").wait_for()
    drift = page.locator("#drift")
    drift.wait_for()
    assert drift.locator("tbody tr").count() >= 10
    assert page.locator("#distribution svg").count() == 1
    screenshot_top(page, "drift-held-run")
    page.get_by_role("button", name="Release the predictions").click()
    page.wait_for_url(f"**/runs/{held['id']}")
    page.get_by_text("released into the predictions folder").wait_for()
    assert page.locator("#status").inner_text() == "succeeded"
    assert page.locator("#download").is_visible()
