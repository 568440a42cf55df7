"""The settings page in headless Chromium (Debian's package, driven by Playwright): a team
owner creates an API token and sees its secret once, revokes it, and adds a member; a
member sees the members but no token or member controls.  Only the web app runs (no
build workers: nothing here builds)."""

from __future__ import annotations

import pytest
import requests

from tests.app.apikit import *  # noqa: F403
from tests.app.apikit import PASSWORD
from tests.app.pipekit import ServerThread
from tests.conftest import free_tcp_port
from tests.ui.browserkit import SHOTS, sign_in


@pytest.fixture
def site(app):
    port = free_tcp_port()
    server = ServerThread(app, port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def settings_page(browser, site: str, username: str):
    context, page = sign_in(browser, site, username)
    page.goto(f"{site}/settings")
    return context, page


def test_owner_creates_sees_once_and_revokes_a_token_and_adds_a_member(browser, site, team_a):
    context, page = settings_page(browser, site, team_a.owner)
    # The fixture's two tokens are listed by name and prefix only.
    page.wait_for_selector("#token-list:has-text('member token')")
    page.fill("#token-form input[name=name]", "laptop")
    page.click("#token-form button")
    output = page.locator("#token-output")
    output.wait_for()
    secret = output.inner_text().split()[0]
    assert secret.startswith("rbt_") and len(secret) > 40
    row = page.locator("#token-list tr", has_text="laptop")
    row.wait_for()
    assert secret not in page.locator("#token-list").inner_text()
    assert team_a.owner in row.inner_text()
    # The secret works, and is gone from the page after a reload: shown once.
    api = f"{site}/api/v1/recipes"
    auth = {"Authorization": f"Bearer {secret}"}
    assert requests.get(api, headers=auth, timeout=30).status_code == 200
    page.reload()
    page.locator("#token-list tr", has_text="laptop").wait_for()
    assert secret not in page.content()
    assert page.locator("#token-output").is_hidden()
    page.screenshot(path=str(SHOTS / "settings-tokens.png"), full_page=True)

    page.locator("#token-list tr", has_text="laptop").locator("button.revoke").click()
    page.wait_for_selector("#settings-status:has-text('revoked')")
    assert page.locator("#token-list tr", has_text="laptop").count() == 0
    assert requests.get(api, headers=auth, timeout=30).status_code == 401

    # A new user, added with a password, appears with their role and can sign in.
    page.fill("#member-form input[name=username]", "dana")
    page.fill("#member-form input[name=password]", PASSWORD)
    page.select_option("#member-form select[name=role]", "member")
    page.click("#member-form button")
    dana = page.locator("#member-list tr[data-username='dana']")
    dana.wait_for()
    assert dana.locator("select.role").input_value() == "member"
    page.screenshot(path=str(SHOTS / "settings-members.png"), full_page=True)
    context.close()
    context, page = settings_page(browser, site, "dana")
    page.wait_for_selector(f"#member-list tr[data-username='{team_a.owner}']")
    context.close()


def test_a_member_sees_members_but_no_token_or_member_controls(browser, site, team_a):
    context, page = settings_page(browser, site, team_a.member)
    owner_row = page.locator(f"#member-list tr[data-username='{team_a.owner}']")
    owner_row.wait_for()
    assert "owner" in owner_row.inner_text()
    assert page.locator("#token-list").count() == 0
    assert page.locator("#member-form").count() == 0
    assert page.locator("#member-list select, #member-list button").count() == 0
    context.close()
