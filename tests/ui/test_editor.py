"""The recipe editor in headless Chromium (Debian's package, driven by Playwright): the
CodeMirror bundle that ``scripts/build-editor`` makes, served by the app, with YAML
highlighting, the API's problems inline at their line and column, completion and hover
docs from ``llb/recipe.schema.json``; and the plain textarea when the bundle is absent.

Only the web app runs here (no workers): the editor validates and saves, it does not build.
"""

from __future__ import annotations

import json

import pytest
import requests

from core.config import REPO_ROOT
from tests.app.apikit import dispose, isolated_settings, make_app, make_team
from tests.app.pipekit import ServerThread
from tests.conftest import free_tcp_port, need
from tests.ui.browserkit import SHOTS, sign_in

EDITOR = REPO_ROOT / "app" / "editor"
BUNDLE = REPO_ROOT / "app" / "static" / "editor" / "editor.js"
SCHEMA = json.loads((REPO_ROOT / "llb" / "recipe.schema.json").read_text())

GOOD = """version: "3"
build:
  steps:
    - type: command
      name: hello
      command: echo hello
      user: root
"""
# Line 7, column 7 of this text is a misspelt key.
BROKEN = GOOD.replace("      user: root\n", "      usr: root\n")


@pytest.fixture(scope="module")
def web(settings, redis_url, tmp_path_factory):
    """The app alone on a free port, on a private database schema, and a team."""
    with isolated_settings(settings, tmp_path_factory.mktemp("editor")) as configured:
        app = make_app(configured)
        port = free_tcp_port()
        server = ServerThread(app, port)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}", make_team(app, "editors")
        finally:
            server.stop()
            dispose(app)




@pytest.fixture
def page(web, browser):
    """A signed-in page; fails the test on any JavaScript error it raised."""
    url, team = web
    errors: list[str] = []

    def listen(page) -> None:
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    context, page = sign_in(browser, url, team.owner, on_page=listen)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def code_editor(page, web):
    """The new-recipe page with the code editor mounted."""
    need(BUNDLE.is_file(), "the editor bundle is not built (scripts/build-editor)")
    page.goto(f"{web[0]}/recipes/new")
    page.locator(".cm-editor .cm-content").wait_for()
    return page


def replace_text(page, text: str) -> None:
    """Put ``text`` in the code editor as a paste would (no auto-indent of typed lines)."""
    page.click(".cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def hover_word(page, line_text: str, word: str) -> None:
    """Move the mouse onto ``word`` in the editor line that contains ``line_text``."""
    box = page.evaluate("""([lineText, word]) => {
        const line = [...document.querySelectorAll(".cm-content > .cm-line")]
            .find((l) => l.textContent.includes(lineText));
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let at = line.textContent.indexOf(lineText) + lineText.indexOf(word);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (at < node.length) {
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + 1);
                const r = range.getBoundingClientRect();
                return {x: r.left + r.width / 2, y: r.top + r.height / 2};
            }
            at -= node.length;
        }
    }""", [line_text, word])
    page.mouse.move(box["x"], box["y"])


def description(*path: str) -> str:
    """A description from the schema file, so the tests follow it when it changes."""
    node = SCHEMA
    for key in path:
        node = node[key]
    return node["description"]


def test_the_bundle_is_served_and_highlights_yaml(web, code_editor):
    page = code_editor
    resp = requests.get(f"{web[0]}/static/editor/editor.js", timeout=30)
    assert resp.status_code == 200 and "javascript" in resp.headers["Content-Type"]
    # CodeMirror took the textarea's place and its text; the old gutter is gone.
    assert page.locator("#yaml").is_hidden() and page.locator("#gutter").is_hidden()
    assert page.locator(".cm-content").inner_text().startswith('version: "3"')
    # YAML tokens carry highlighting classes: keys, strings.
    keys = page.locator(".cm-content .tok-propertyName").all_inner_texts()
    assert {"version", "build", "steps", "type", "command"} <= set(keys), keys
    assert '"3"' in page.locator(".cm-content .tok-string").all_inner_texts()
    colour = "(sel) => getComputedStyle(document.querySelector(sel)).color"
    plain = page.evaluate(colour, ".cm-content")
    assert page.evaluate(colour, ".cm-content .tok-propertyName") != plain
    assert page.evaluate(colour, ".cm-content .tok-string") != plain
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "editor-1-highlighting.png"))
    # A narrow window scrolls the editor, not the page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("    # " + "a long line " * 20)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_a_problem_is_shown_inline_at_its_line_and_column(code_editor):
    page = code_editor
    replace_text(page, BROKEN)
    mark = page.locator(".cm-lintRange-error")
    mark.wait_for()
    line, col, text = page.evaluate("""() => {
        const mark = document.querySelector(".cm-lintRange-error");
        const line = mark.closest(".cm-line");
        const before = document.createRange();
        before.setStart(line, 0);
        before.setEndBefore(mark);
        const lines = [...document.querySelectorAll(".cm-content > .cm-line")];
        return [lines.indexOf(line) + 1, before.toString().length + 1, mark.textContent];
    }""")
    assert (line, col, text) == (7, 7, "usr")
    # The same problem is in the side list, and the gutter marks its line.
    assert "usr" in page.locator("#problems li.error[data-line='7']").inner_text()
    assert page.locator(".cm-gutter-lint .cm-lint-marker-error").count() == 1
    mark.hover()
    tooltip = page.locator(".cm-tooltip-hover .cm-diagnostic-error")
    tooltip.wait_for()
    assert "did you mean 'user'" in tooltip.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "editor-2-inline-problem.png"))
    # Fixed, the diagnostic goes away.
    replace_text(page, GOOD)
    page.wait_for_selector("#problems li.ok")
    page.wait_for_selector(".cm-lintRange-error", state="detached")


def test_a_problem_in_the_list_takes_the_cursor_to_its_line(code_editor):
    page = code_editor
    replace_text(page, BROKEN)
    page.locator("#problems li.error[data-line='7'] button.goto").click()
    page.wait_for_function("document.querySelector('.cm-activeLine')?.textContent.includes('usr')")


def test_completion_offers_the_schema_keys_and_values(code_editor):
    page = code_editor
    replace_text(page, "")
    page.keyboard.type("bui")
    option = page.locator(".cm-tooltip-autocomplete li", has_text="build")
    option.wait_for()
    assert page.locator(".cm-completionInfo").inner_text() == description("properties", "build")
    # A click, not Enter: Enter accepts only some time after the list opened.
    option.click()
    page.wait_for_function("document.getElementById('yaml').value === 'build: '")
    # Inside a step: the step kinds after "type:", then the keys of the kind chosen.
    replace_text(page, "build:\n  steps:\n    - type: ")
    page.keyboard.press("Control+Space")
    page.locator(".cm-tooltip-autocomplete li").first.wait_for()
    kinds = page.locator(".cm-tooltip-autocomplete li .cm-completionLabel").all_inner_texts()
    step_kinds = SCHEMA["$defs"]["Phase"]["properties"]["steps"]["anyOf"][0]["items"]
    assert sorted(kinds) == sorted(step_kinds["discriminator"]["mapping"])
    page.keyboard.type("com")
    page.locator(".cm-tooltip-autocomplete li", has_text="command").click()
    page.keyboard.insert_text("\n      ")
    page.keyboard.type("dir")
    page.locator(".cm-tooltip-autocomplete li", has_text="directory").click()
    page.wait_for_function(
        "document.getElementById('yaml').value.endsWith('    - type: command\\n      directory: ')")


def test_hover_shows_the_schema_description(code_editor):
    page = code_editor
    replace_text(page, GOOD)
    hover_word(page, "build:", "build")
    card = page.locator(".cm-tooltip-hover .rb-hover")
    card.wait_for()
    assert description("properties", "build") in card.inner_text()
    # A step's kind: the description of that kind of step.
    page.mouse.move(0, 0)
    card.wait_for(state="detached")
    hover_word(page, "- type: command", "command")
    card.wait_for()
    assert description("$defs", "CommandStep") in card.inner_text()


def test_save_from_the_code_editor(web, code_editor):
    url, team = web
    page = code_editor
    page.fill("#recipe-name", "code-editor")
    replace_text(page, GOOD)
    page.wait_for_selector("#problems li.ok")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('Saved version 1')")
    recipe_id = page.evaluate("location.pathname").rsplit("/", 1)[1]
    # An edit typed into the editor is what the next version holds.
    page.locator(".cm-line", has_text="command: echo hello").click()
    page.keyboard.press("End")
    page.keyboard.type(" world")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('Saved version 2')")
    saved = requests.get(f"{url}/api/v1/recipes/{recipe_id}/versions/2", headers=team.headers(),
                         timeout=30).json()
    assert saved["yaml"] == GOOD.replace("echo hello", "echo hello world")


def test_without_the_bundle_the_textarea_still_edits_and_saves(web, page):
    url, team = web
    asked: list[str] = []

    def missing(route):
        asked.append(route.request.url)
        route.fulfill(status=404, body="not built")

    page.route("**/static/editor/editor.js", missing)
    page.goto(f"{url}/recipes/new")
    page.wait_for_selector("#problems li.ok")
    assert asked, "the page never asked for the editor bundle"
    assert page.locator(".cm-editor").count() == 0
    page.fill("#recipe-name", "plain-editor")
    page.fill("#yaml", BROKEN)
    page.locator("#gutter .err[data-line='7']").wait_for()
    page.fill("#yaml", GOOD)
    page.wait_for_selector("#problems li.ok")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('Saved version 1')")
    recipes = requests.get(f"{url}/api/v1/recipes", headers=team.headers(), timeout=30).json()
    assert "plain-editor" in [r["name"] for r in recipes["recipes"]]


def test_the_lock_file_names_no_registry():
    """The repository names no package registry: npm keeps no download URLs in the lock."""
    lock = (EDITOR / "package-lock.json").read_text()
    assert "omit-lockfile-registry-resolved=true" in (EDITOR / ".npmrc").read_text()
    assert '"resolved"' not in lock and "://" not in lock
    packages = json.loads(lock)["packages"]
    assert "node_modules/codemirror" in packages and "node_modules/esbuild" in packages
    assert all(p.get("integrity") for name, p in packages.items() if name)
