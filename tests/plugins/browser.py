"""Chromium driven by Playwright: Debian's /usr/bin/chromium, never a downloaded browser."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MLP_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; run the README's test command")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page, name, full_page=True):
    """Save a PNG of the page under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page, base_url, email, password):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def screenshot_top(page, name):
    """A full-page screenshot from the top (a page reached at an #anchor is scrolled down)."""
    page.evaluate("window.scrollTo(0, 0)")
    return screenshot(page, name)


def open_team(page, base_url, team, role):
    """Sign in as ``role`` of the team fixture and switch to the team workspace."""
    sign_in(page, base_url, team.users[role].email, team.password)
    page.goto(f"{base_url}/workspace")
    with page.expect_navigation():
        page.select_option("#ws-select", team.workspace_id)
