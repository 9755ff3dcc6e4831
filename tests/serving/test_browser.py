"""In Chromium: the project page's "Use the API" card. An admin sees the endpoint and a curl
example, creates a prediction token (shown once), tries one row of the generated data and sees
the prediction and its probabilities, sees a text value in a numeric column located, and
revokes the token; a viewer sees the card without tokens or the form. Screenshots go to
test-artifacts/serving-*.png."""

import json
import math

import pytest

from controllers.serving.pages import percent
from tests.plugins.browser import open_team, screenshot_top
from tests.runs.support import TARGET, create_project, start, wait_for, write_batches
from tests.support import web

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _predict(client, headers, project_id, row):
    return client.post(
        f"/api/v1/projects/{project_id}/predict",
        data=json.dumps({"rows": [row]}),
        headers=headers,
        content_type="application/json",
    )


def _first_row(frame, columns):
    """Row 0 of the generated data, as the form's text (a missing value: an empty field)."""
    values = {}
    for name in columns:
        value = frame[name].iloc[0]
        if isinstance(value, float) and math.isnan(value):
            values[name] = ""
        else:
            values[name] = value if isinstance(value, str) else repr(float(value))
    return values


def test_use_the_api_card(app, live_server, team, client, page):
    admin = team.headers("admin")
    project, frame, prefix = create_project(
        client, admin, "binary", budget=5, name="Breast screening"
    )
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    trained = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert trained["status"] == "succeeded", trained["message"]
    url = f"{live_server}/projects/{project['id']}"

    open_team(page, live_server, team, "admin")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(url)
    card = page.locator("#serving")
    card.get_by_role("heading", name="Use the API").wait_for()
    endpoint = card.locator("#serving-endpoint").inner_text()
    assert endpoint == f"http://127.0.0.1/api/v1/projects/{project['id']}/predict"
    curl = card.locator("#serving-curl").inner_text()
    assert curl.startswith(f"curl -X POST {endpoint}")
    assert "Authorization: Bearer $PREDICTION_TOKEN" in curl and '{"rows": [{' in curl
    assert "No calls yet" in card.locator("#serving-stats").inner_text()
    assert "model v1" in card.inner_text()
    card.locator("button[data-copy='#serving-curl']").click()
    card.locator("button[data-copy='#serving-curl']", has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == curl.strip()
    screenshot_top(page, "serving-card")

    # a prediction token: shown once, on the page the form leads to
    card.get_by_label("Token name").fill("checkout service")
    card.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-prediction-token")
    shown.wait_for()
    secret = shown.inner_text().strip()
    assert secret.startswith("mlp_")
    assert "checkout service" in page.locator(".new-token").inner_text()
    screenshot_top(page, "serving-token-new")
    columns = [c for c in frame.columns if not c.startswith("_") and c != TARGET]
    row = {
        name: None if isinstance(v, float) and math.isnan(v) else v
        for name, v in frame[columns].iloc[0].items()
    }
    by_token = _predict(client, {"Authorization": f"Bearer {secret}"}, project["id"], row)
    assert by_token.status_code == 200, by_token.json
    page.reload()
    assert page.locator("#new-prediction-token").count() == 0
    assert secret not in page.content()
    token_row = page.locator("#serving-tokens tbody tr", has_text="checkout service")
    token_id = token_row.get_attribute("data-token-id")
    assert secret[:8] in token_row.inner_text()

    # try one row of the generated data
    values = _first_row(frame, columns)
    for name, text in values.items():
        page.locator(f'#serving-try input[name="col:{name}"]').fill(text)
    page.get_by_role("button", name="Predict this row").click()
    answer = page.locator("#try-answer")
    answer.wait_for()
    expected = by_token.json
    assert answer.locator(".try-prediction").inner_text() == expected["predictions"][0]
    labels = answer.locator(".prob-label").all_inner_texts()
    assert sorted(labels) == sorted(expected["probabilities"][0])
    top = max(expected["probabilities"][0].items(), key=lambda kv: kv[1])
    assert labels[0] == top[0]
    assert answer.locator(".prob-value").first.inner_text() == percent(top[1])
    screenshot_top(page, "serving-try-answer")

    # a text value in a numeric column: the problem is located, the other values stay
    numeric = next(name for name in columns if frame[name].dtype.kind == "f")
    page.locator(f'#serving-try input[name="col:{numeric}"]').fill("lots")
    page.get_by_role("button", name="Predict this row").click()
    error = page.locator("#try-error")
    error.wait_for()
    assert "refused" in error.inner_text() and "422" in error.inner_text()
    problem = page.locator(".try-field.has-problem")
    assert problem.count() == 1
    assert numeric in problem.inner_text() and "not a number" in problem.inner_text()
    assert problem.locator(".try-problem").inner_text().startswith("Declared float but holds")
    assert f"Row 1 column '{numeric}'" in error.inner_text()
    other = next(name for name in columns if name != numeric and values[name])
    field = page.locator(f'#serving-try input[name="col:{other}"]')
    assert field.input_value() == values[other]
    screenshot_top(page, "serving-try-problem")

    # the calls show in the stats: the token's, the try and the refused try
    page.goto(url)
    stats = page.locator("#serving-stats")
    assert stats.locator(".serve-tile").first.inner_text().split()[-1] == "3"
    assert stats.locator(".serve-tile.is-bad .tile-value").inner_text().startswith("1")
    screenshot_top(page, "serving-stats")

    # revoke: the row goes, and the token is refused
    page.once("dialog", lambda dialog: dialog.accept())
    token_row.get_by_role("button", name="Revoke").click()
    page.get_by_text("Prediction token revoked").wait_for()
    assert page.locator("#serving-tokens tbody tr").count() == 0
    assert "No prediction tokens yet" in page.locator("#serving-tokens").inner_text()
    refused = _predict(client, {"Authorization": f"Bearer {secret}"}, project["id"], row)
    assert refused.status_code == 401
    screenshot_top(page, "serving-token-revoked")

    # a project without a production model: the try answers 409, shown in place
    untrained, _, _ = create_project(client, admin, "binary", name="Not trained yet")
    page.goto(f"{live_server}/projects/{untrained['id']}")
    assert "no production model" in page.locator("#serving").inner_text()
    page.get_by_role("button", name="Predict this row").click()
    page.locator("#try-error", has_text="No production model").wait_for()
    assert "train one first" in page.locator("#try-error").inner_text()
    screenshot_top(page, "serving-try-409")

    # a viewer: the endpoint, the curl example and the stats; no tokens, no form
    viewer = page.context.browser.new_context(viewport={"width": 1360, "height": 900})
    seen = viewer.new_page()
    open_team(seen, live_server, team, "viewer")
    seen.goto(url)
    card = seen.locator("#serving")
    card.get_by_role("heading", name="Use the API").wait_for()
    assert card.locator("#serving-endpoint").inner_text() == endpoint
    assert card.locator("#serving-curl").inner_text() == curl
    assert card.locator("#serving-stats .serve-tile").count() == 5
    assert seen.locator("#serving-tokens").count() == 0
    assert seen.locator("#serving-try").count() == 0
    assert card.locator("form").count() == 0
    assert "Admins create prediction tokens" in card.inner_text()
    screenshot_top(seen, "serving-viewer")
    as_viewer = team.login(app.test_client(), "viewer")
    for action in ("prediction-tokens", "try", f"prediction-tokens/{token_id}/revoke"):
        refused = web.post_form(
            as_viewer, f"/projects/{project['id']}/{action}", {"name": "x"}, page="/"
        )
        assert refused.status_code == 403, action
    viewer.close()
