"""A newcomer registers, signs in, creates a team workspace and invites a colleague."""

import pytest

from tests.plugins.browser import screenshot, sign_in
from tests.support import web

pytestmark = pytest.mark.browser


def test_register_create_team_and_invite(live_server, page, app):
    web.create_user(app, "colleague@example.com", name="Grace")

    page.goto(f"{live_server}/register")
    screenshot(page, "register")
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(web.PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{live_server}/")
    assert "Your personal workspace is ready" in page.content()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/login")
    screenshot(page, "login")
    sign_in(page, live_server, "ada@example.com", web.PASSWORD)

    page.get_by_role("link", name="New team workspace").first.click()
    page.get_by_label("Workspace name").fill("Fraud analytics")
    page.get_by_role("button", name="Create workspace").click()
    page.wait_for_url(f"{live_server}/workspace")

    page.get_by_label("Colleague's email").fill("colleague@example.com")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Invite").click()
    page.wait_for_url(f"{live_server}/workspace")
    assert "colleague@example.com is now a member" in page.content()
    row = page.locator("tr", has_text="colleague@example.com")
    assert row.get_by_label("Role of colleague@example.com").input_value() == "admin"
    screenshot(page, "workspace-members")

    page.goto(f"{live_server}/")
    assert page.get_by_role("heading", name="Fraud analytics").is_visible()
    screenshot(page, "dashboard")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "dashboard-phone")
