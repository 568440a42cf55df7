"""The web UI in headless Chromium (Debian's package, driven by Playwright; nothing is
downloaded): edit with located errors, Save and Build with live logs, cancel, settings,
narrow windows.  Screenshots of each stage go to ``test-output/ui/``."""

from __future__ import annotations

import re

import pytest

from tests.app.pipekit import *  # noqa: F403
from tests.ui.browserkit import SHOTS, sign_in


@pytest.fixture
def signed_in(stack, browser):
    team = stack.team()
    context, page = sign_in(browser, stack.url, team.owner)
    yield page, team
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_edit_fix_save_and_build_with_live_logs(stack, signed_in):
    page, team = signed_in
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    # This flow drives the plain textarea (the page without the code editor's bundle);
    # the code editor has its own tests in test_editor.py.
    page.route("**/static/editor/editor.js", lambda route: route.fulfill(status=404))
    page.click("#new-recipe")
    page.fill("#recipe-name", "ui-demo")
    script = "for i in 1 2 3 4 5 6; do echo tick-$i; sleep 1; done"
    good = stack.recipe(script)
    # Line 6 of the broken text carries a misspelt key.
    broken = good.replace("      user: root\n", "      usr: root\n")
    bad_line = broken.splitlines().index("      usr: root") + 1
    page.fill("#yaml", broken)
    marker = page.locator(f"#gutter .err[data-line='{bad_line}']")
    marker.wait_for()
    problem = page.locator(f"#problems li.error[data-line='{bad_line}']")
    assert "usr" in problem.inner_text()
    shot(page, "1-error-at-line")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('error')")
    assert page.evaluate("location.pathname") == "/recipes/new"  # nothing was saved

    page.fill("#yaml", good)
    page.wait_for_selector("#problems li.ok")
    assert page.locator("#gutter .err").count() == 0
    page.click("#save-build")
    page.wait_for_url(re.compile(r".*/builds/build-[0-9a-f]{32}$"))
    # Logs arrive while the build is still running.
    page.wait_for_selector("#log:has-text('tick-2')", timeout=120_000)
    pill = page.locator("#pill").inner_text()
    assert re.fullmatch(r"Building… \(\d+m \d+s\)", pill), pill
    shot(page, "2-building-live-logs")
    page.wait_for_selector("#pill.succeeded", timeout=120_000)
    assert re.fullmatch(r"Build successful \(\d+m \d+s\)", page.locator("#pill").inner_text())
    ref = page.locator("#image-ref").inner_text()
    assert ref.startswith(f"{stack.settings.registry}/{team.slug}/ui-demo:")
    assert "tick-6" in page.locator("#log").inner_text()
    page.wait_for_selector("#steps li.step.done")
    page.wait_for_selector("#previous-builds li a")
    shot(page, "3-build-successful")
    # The log's websocket ended cleanly ("Invalid frame header" was seen here).
    assert not [e for e in console_errors if "WebSocket" in e or "frame" in e], console_errors
    # The recipe list shows the recipe's last build: its state, and the image.
    page.goto(f"{stack.url}/")
    cell = page.locator("#recipe-list tr", has_text="ui-demo").locator("td.last-build")
    cell.locator(".pill.succeeded").wait_for()
    assert ref in cell.inner_text()


def test_cancel_a_long_build_from_the_ui(stack, signed_in):
    page, team = signed_in
    build = stack.api(team, "POST", "/builds",
                      json={"yaml": stack.recipe("echo long-build; sleep 300")}).json()
    page.goto(f"{stack.url}/builds/{build['id']}")
    page.wait_for_selector("#log:has-text('long-build')", timeout=120_000)
    # No image yet: no image box (it used to show empty, with its Copy button).
    assert page.locator("#image").is_hidden() and page.locator("#copy").is_hidden()
    page.click("#cancel")
    page.wait_for_selector("#pill.cancelled", timeout=120_000)
    assert page.locator("#pill").inner_text().startswith("Build cancelled (")
    assert page.locator("#cancel").is_hidden()
    shot(page, "4-cancelled")


def test_settings_secrets_are_write_only_and_narrow_layout(stack, signed_in):
    page, team = signed_in
    page.goto(f"{stack.url}/settings")
    page.fill("#secret-form input[name=name]", "DB_PASSWORD")
    page.fill("#secret-form textarea[name=value]", "value-never-shown")
    page.click("#secret-form button")
    page.wait_for_selector("#secret-list:has-text('DB_PASSWORD')")
    assert "version 1" in page.locator("#secret-list").inner_text()
    page.fill("#env-form input[name=name]", "REGION")
    page.fill("#env-form input[name=value]", "eu-west")
    page.click("#env-form button")
    page.wait_for_selector("#env-list:has-text('eu-west')")
    page.reload()
    page.wait_for_selector("#secret-list:has-text('DB_PASSWORD')")
    assert "value-never-shown" not in page.content()
    shot(page, "5-settings")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/settings", "/recipes/new"):
        page.goto(f"{stack.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    shot(page, "6-narrow-editor")


def test_ansi_colours_are_rendered(stack, signed_in):
    page, _team = signed_in
    html = page.evaluate("RB.ansiToHtml({classes: []}, '\\u001b[31mred\\u001b[0m <b>')")
    assert html == '<span class="ansi-fg-red">red</span> &lt;b&gt;'


def test_the_editor_text_lines_up_with_its_gutter(stack, signed_in):
    page, _team = signed_in
    # The textarea and its gutter: the page without the code editor's bundle.
    page.route("**/static/editor/editor.js", lambda route: route.fulfill(status=404))
    page.click("#new-recipe")
    page.wait_for_selector("#yaml")
    fonts = page.evaluate("""() => ["#yaml", "#gutter"].map(sel => {
        const s = getComputedStyle(document.querySelector(sel));
        return [s.fontFamily, s.fontSize, s.lineHeight]; })""")
    text, gutter = fonts
    # Same font, size and line height, or the error markers sit beside the wrong lines.
    assert text == gutter, fonts
    assert "mono" in text[0].lower()


def test_a_failed_build_page_tells_the_step_without_widening_the_page(stack, signed_in):
    page, team = signed_in
    recipe = stack.recipe("echo fine", "echo last-words; exit 3")
    build = stack.api(team, "POST", "/builds", json={"yaml": recipe}).json()
    page.goto(f"{stack.url}/builds/{build['id']}")
    page.wait_for_selector("#pill.failed", timeout=120_000)
    error = page.locator("#error").inner_text()
    assert "exit code 3" in error and "last-words" in error, error
    assert error.count("recipe line") == 1, error
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    shot(page, "7-failed-step")
