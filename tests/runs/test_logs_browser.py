"""In Chromium: the run page's polls of a quiet log are answered 304 (the browser sends the
ETag back by itself), and a new line still shows within 1.5 s."""

import time
from datetime import UTC, datetime

import pytest

from controllers.context import get_db, get_store
from entity.change_feed import feed_for
from entity.run import Run
from project_library.projects import service as projects
from tests.plugins.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_quiet_polls_are_304_and_a_new_line_shows_within_a_second_and_a_half(
    app, live_server, team, page, caplog
):
    with app.app_context():
        store = get_store()
        project = projects.create_project(
            store, team.workspace_id, {"name": "Quiet log"}, team.user("admin").id
        )
        run = store.runs.create(Run(team.workspace_id, project.id, "predict"))
        store.runs.claim(run.id)  # running: the page keeps polling
        store.run_logs.append(
            {
                "run_id": run.id,
                "seq": 1,
                "time": datetime.now(UTC),
                "level": "INFO",
                "step": "x",
                "message": "first line",
            }
        )
        assert feed_for(get_db()).wait_live()
    caplog.set_level("INFO", logger="mlp.request")

    def answered_304():  # what the server sent (the page itself sees the cached 200)
        return sum(
            1
            for r in caplog.records
            if f"/runs/{run.id}/logs" in r.getMessage() and "status=304" in r.getMessage()
        )

    sign_in(page, live_server, team.users["admin"].email, team.password)
    page.goto(f"{live_server}/workspace")
    with page.expect_navigation():
        page.select_option("#ws-select", team.workspace_id)
    page.goto(f"{live_server}/runs/{run.id}")
    page.wait_for_selector("#logs .line")
    deadline = time.monotonic() + 15
    while answered_304() < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert answered_304() >= 2
    with app.app_context():
        get_store().run_logs.append(
            {
                "run_id": run.id,
                "seq": 2,
                "time": datetime.now(UTC),
                "level": "INFO",
                "step": "x",
                "message": "second line",
            }
        )
    written = time.monotonic()
    page.get_by_text("second line").wait_for(timeout=5000)
    assert time.monotonic() - written <= 1.5
    assert page.locator("#logs .line").count() == 2
