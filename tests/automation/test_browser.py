"""In Chromium: add a daily schedule through the form (live preview, then the project page),
switch the prediction watcher on, upload a prediction batch on the Files page, and see the
watcher's run appear by itself on the Runs page; download its predictions. Also: the owner
sets the workspace time zone, and a schedule is edited, paused, resumed and deleted.
Screenshots go to test-artifacts/automation-*.png."""

import csv
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from controllers.context import get_store
from tests.plugins.browser import open_team, screenshot_top
from tests.runs.support import TARGET, batch_name, create_project, start, wait_for, write_batches

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "SCHEDULER": True,
        "TICK_SECONDS": 0.5,
        "WATCH_INTERVAL": 1,
        "WATCH_QUIET": 1,
    }


def _watcher_polled(app, team, project_id):
    with app.app_context():
        return get_store().watchers.get(team.workspace_id, project_id).last_poll_at is not None


def test_schedule_and_watcher_start_runs(app, live_server, team, client, page, tmp_path):
    admin = team.headers("admin")
    project, frame, prefix = create_project(
        client, admin, "binary", budget=5, name="Breast screening"
    )
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    trained = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert trained["status"] == "succeeded", trained["message"]

    open_team(page, live_server, team, "admin")
    page.goto(f"{live_server}/projects/{project['id']}")
    page.locator("#automation").get_by_text("No schedules yet").wait_for()
    screenshot_top(page, "automation-project-empty")

    # the form: a daily schedule twelve hours from now in Berlin, previewed as it is typed
    page.locator("#automation").get_by_role("link", name="Add a schedule").click()
    page.wait_for_url("**/schedules/new")
    page.locator("#preview-times .next-time").first.wait_for()
    screenshot_top(page, "automation-form-new")
    at = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(hours=12)).strftime("%H:%M")
    page.check("input[name=kind][value=train]")
    page.check("input[name=preset][value=daily]")
    page.fill("#f-time", at)
    page.select_option("#f-timezone", "Europe/Berlin")
    words = f"Every day at {at} (Europe/Berlin)"
    page.locator("#preview-description", has_text=words).wait_for()
    page.wait_for_function("document.querySelectorAll('#preview-times .next-time').length === 5")
    times = page.locator("#preview-times .nt-time").all_inner_texts()
    assert times == [at] * 5
    screenshot_top(page, "automation-form-preview")

    # a mistake is explained in the preview, live, and the form keeps working after it
    page.check("input[name=preset][value=cron]")
    page.fill("#f-cron", "61 * * * *")
    page.locator("#preview-error", has_text="out of range").wait_for()
    screenshot_top(page, "automation-form-error")
    page.check("input[name=preset][value=daily]")
    page.locator("#preview-description", has_text=words).wait_for()
    page.get_by_role("button", name="Add schedule").click()

    page.wait_for_url(f"**/projects/{project['id']}#automation")
    page.get_by_text(f"Schedule added: {words}.").wait_for()
    item = page.locator(".schedule-item", has_text=words)
    assert at in item.locator(".next-first").inner_text()
    item.locator(".more-times summary").click()
    assert item.locator(".more-times .nt-time").all_inner_texts() == [at] * 5
    screenshot_top(page, "automation-project-schedule")

    # the watcher: predict new prediction files; the first look takes what is there as seen
    page.check("#watch-prediction", force=True)
    page.get_by_role("button", name="Save watcher").click()
    page.get_by_text("Watching the folders").wait_for()
    deadline = time.monotonic() + 15
    while not _watcher_polled(app, team, project["id"]):
        assert time.monotonic() < deadline, "the watcher never looked at the folder"
        time.sleep(0.2)
    page.reload()
    assert "never" not in page.locator(".watch-state").inner_text()
    screenshot_top(page, "automation-watcher-on")

    # a prediction batch lands through the Files page
    name = batch_name(prefix, 5)
    rows = frame.drop(columns=[c for c in frame.columns if c.startswith("_")] + [TARGET]).iloc[:40]
    (tmp_path / name).write_text(rows.to_csv(index=False))
    box = page.locator(".validate-box", has_text="Prediction batches")
    box.get_by_role("link", name="Upload files").click()
    page.wait_for_url("**/files/**")
    page.set_input_files("#file-input", str(tmp_path / name))
    page.wait_for_function("document.querySelectorAll('.upload-item.done').length === 1")
    page.locator(".file-table .file-name", has_text=name).wait_for()
    screenshot_top(page, "automation-files-uploaded")

    # the watcher's run shows up on the Runs page by itself
    row = page.locator(".runs-table tbody tr", has_text="Watcher")
    deadline = time.monotonic() + 60
    while True:
        page.goto(f"{live_server}/runs")
        if row.count():
            break
        assert time.monotonic() < deadline, "no watcher run after 60 s"
        time.sleep(1)
    assert "Watcher · 1 file" in row.inner_text()
    screenshot_top(page, "automation-runs")
    page.get_by_role("link", name="Watcher").click()
    page.wait_for_url("**/runs?trigger=watcher")
    assert page.locator(".runs-table tbody tr").count() == 1
    screenshot_top(page, "automation-runs-watcher")

    page.locator(".runs-table tbody tr").first.get_by_role("link", name="Prediction").click()
    page.wait_for_url("**/runs/*")
    page.wait_for_selector("#download:not(.hidden)", timeout=120_000)
    assert "Started by the prediction folder watcher" in page.inner_text(".run-origin")
    page.locator("#inputs td", has_text=name).wait_for()
    assert "40" in page.locator("#inputs tbody").inner_text()
    screenshot_top(page, "automation-run-watcher")
    with page.expect_download() as info:
        page.click("#download")
    target = tmp_path / "predictions.csv"
    info.value.save_as(target)
    with open(target) as handle:
        predicted = list(csv.DictReader(handle))
    assert len(predicted) == 40
    assert {r["source_file"] for r in predicted} == {name}

    page.goto(f"{live_server}/projects/{project['id']}")
    assert "Prediction #" in page.locator(".watch-state").inner_text()
    screenshot_top(page, "automation-project-after")


def test_time_zone_and_schedule_changes(app, live_server, team, client, page):
    project, _, _ = create_project(client, team.headers("admin"), "binary", name="Wine cellar")
    open_team(page, live_server, team, "owner")
    page.goto(f"{live_server}/workspace")
    page.select_option("#f-timezone", "America/New_York")
    page.get_by_role("button", name="Save time zone").click()
    page.get_by_text("Time zone set to America/New_York").wait_for()
    screenshot_top(page, "automation-workspace-timezone")

    page.goto(f"{live_server}/projects/{project['id']}/schedules/new")
    assert page.input_value("#f-timezone") == "America/New_York"
    page.check("input[name=preset][value=weekly]")
    page.fill("#f-time", "07:30")
    page.check("input[name=days][value=thu]", force=True)
    words = "Every Monday and Thursday at 07:30 (America/New_York)"
    page.locator("#preview-description", has_text=words).wait_for()
    page.get_by_role("button", name="Add schedule").click()
    item = page.locator(".schedule-item", has_text=words)
    item.wait_for()

    item.get_by_role("button", name="Pause").click()
    page.locator(".schedule-item .badge", has_text="paused").wait_for()
    screenshot_top(page, "automation-schedule-paused")
    page.locator(".schedule-item").get_by_role("button", name="Resume").click()
    page.locator(".schedule-item").get_by_role("button", name="Pause").wait_for()

    page.locator(".schedule-item").get_by_role("link", name="Edit").click()
    page.wait_for_url("**/edit")
    assert page.is_checked("input[name=days][value=mon]")
    page.check("input[name=preset][value=cron]")
    page.fill("#f-cron", "0 6 * * 1-8")
    page.get_by_role("button", name="Save schedule").click()
    page.locator(".flash-error", has_text="out of range for the day-of-week field").wait_for()
    assert page.is_checked("input[name=preset][value=cron]")  # the values are kept
    assert page.input_value("#f-cron") == "0 6 * * 1-8"
    page.locator("#preview-error", has_text="out of range").wait_for()  # rendered by the server
    screenshot_top(page, "automation-form-edit-error")
    page.check("input[name=preset][value=hours]")
    page.fill("#f-hours", "6")
    page.locator("#preview-description", has_text="Every 6 hours").wait_for()
    page.get_by_role("button", name="Save schedule").click()
    page.get_by_text("Schedule saved: Every 6 hours.").wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".schedule-item").get_by_role("button", name="Delete").click()
    page.get_by_text("Schedule deleted").wait_for()
    assert page.locator(".schedule-item").count() == 0

    viewer = page.context.browser.new_context(viewport={"width": 1360, "height": 900})
    other = viewer.new_page()
    open_team(other, live_server, team, "viewer")
    other.goto(f"{live_server}/projects/{project['id']}")
    assert other.locator("#automation").get_by_role("button").count() == 0
    assert other.locator("#automation").get_by_role("link", name="Add a schedule").count() == 0
    assert other.goto(f"{live_server}/projects/{project['id']}/schedules/new").status == 403
    viewer.close()
