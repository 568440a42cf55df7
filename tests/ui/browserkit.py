"""Headless Chromium for the UI tests (Debian's package, driven by Playwright; nothing is
downloaded), and where their screenshots go.  The ``browser`` fixture is in conftest.py."""

from __future__ import annotations

import shutil

from core.config import REPO_ROOT
from tests.app.apikit import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO_ROOT / "test-output" / "ui"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def sign_in(browser, url: str, username: str, on_page=None):
    """A new browser context, and a page in it signed in to the app at ``url`` as
    ``username`` (the test users' password); ``on_page`` sees the page first (to
    listen for its errors).  Close the context when done."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    if on_page is not None:
        on_page(page)
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return context, page
