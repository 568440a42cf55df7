"""The build page in headless Chromium: a steps panel kept live from the log's events,
a click on a step filtering the log, search over a long log, and per-step folding.
Screenshots go to ``test-output/ui/``."""

from __future__ import annotations

import re

import pytest

from tests.app.pipekit import *  # noqa: F403
from tests.ui.browserkit import sign_in
from tests.ui.test_ui_flows import shot, signed_in  # noqa: F401  (a fixture)

#: Lines the first step of the long build prints: enough for a log users call long.
LONG = 3000


def test_steps_panel_shows_a_step_running_then_done_with_its_time(stack, signed_in):  # noqa: F811
    page, team = signed_in
    recipe = stack.recipe("echo live-begin; sleep 12; echo live-$((40 + 2))")
    build = stack.api(team, "POST", "/builds", json={"yaml": recipe}).json()
    page.goto(f"{stack.url}/builds/{build['id']}")
    # Running in the panel while the step's last line is not out yet (one look at the
    # page, so the build cannot end in between; "live-42" is in no command, only in the
    # output).  The panel used to fill at the end only.
    page.wait_for_function("""() => {
        const li = document.querySelector('#steps li.step.running');
        return li && li.textContent.includes('[build 1/1]')
            && !document.getElementById('log').textContent.includes('live-42'); }""",
                           timeout=120_000)
    running = page.locator("#steps li.step.running", has_text="[build 1/1]")
    assert running.locator(".spinner").count() == 1
    assert re.fullmatch(r"\d+s|\d+m \d+s", running.locator(".step-state").inner_text().strip())
    shot(page, "8-step-running")
    page.wait_for_selector("#pill.succeeded", timeout=120_000)
    done = page.locator("#steps li.step.done", has_text="[build 1/1]")
    done.wait_for()
    took = done.locator(".step-state").inner_text().strip()
    assert re.fullmatch(r"\d+\.\d+s", took), took
    assert float(took[:-1]) >= 12, took  # it slept 12 s
    assert page.locator("#steps li.step.running").count() == 0
    # The push is a step too, with the bytes it moved and their rate.
    push = page.locator("#steps li.step.done", has_text="[push] ")
    assert re.fullmatch(r"[\d.]+ / [\d.]+ MB, [\d.]+ MB/s · [\d.]+s",
                        push.locator(".step-state").inner_text().strip())


@pytest.fixture(scope="module")
def long_failed(stack):
    """A finished build: a step printing LONG lines, a quiet one, then one failing.

    Outputs are computed (quiet-25, boom-21) so the commands, shown in the log too,
    do not contain them."""
    team = stack.team()
    recipe = stack.recipe(f"for i in $(seq 1 {LONG}); do echo many-$i; done",
                          "echo quiet-$((5 * 5))", "echo boom-$((3 * 7)); exit 4")
    build = stack.api(team, "POST", "/builds", json={"yaml": recipe}).json()
    assert stack.wait(team, build["id"])["state"] == "failed"
    return team, build["id"]


@pytest.fixture
def failed_page(stack, browser, long_failed):  # noqa: F811
    team, build_id = long_failed
    context, page = sign_in(browser, stack.url, team.owner)
    page.goto(f"{stack.url}/builds/{build_id}")
    page.wait_for_selector("#pill.failed", timeout=60_000)
    page.wait_for_selector(f"#log:has-text('many-{LONG}')", state="attached")
    yield page
    context.close()


def group(page, step: str):
    return page.locator("#log .log-group", has=page.locator(".log-title", has_text=step))


def test_a_failed_build_opens_on_its_failed_step_and_steps_fold(failed_page):
    page = failed_page
    failed = group(page, "[build 3/3]")
    failed.locator(".ln", has_text="boom-21").wait_for()  # open, and visible
    first = group(page, "[build 1/3]")
    page.wait_for_selector("#log .log-group.folded")
    # The finished steps start folded: their lines are hidden until their header is clicked.
    line = first.locator(".ln", has_text=f"many-{LONG}")
    assert line.is_hidden()
    first.locator(".log-head").click()
    line.wait_for(state="visible")
    assert first.locator(".log-head").get_attribute("aria-expanded") == "true"
    shot(page, "9-unfolded-step")
    first.locator(".log-head").click()
    line.wait_for(state="hidden")
    assert page.locator("#steps li.step.failed", has_text="[build 3/3]").count() == 1
    assert page.locator("#steps li.step.done", has_text="[build 1/3]").count() == 1


def test_a_click_on_a_step_filters_the_log_to_it(failed_page):
    page = failed_page
    page.locator("#steps li", has_text="[build 2/3]").click()
    page.wait_for_selector("#log-filter:visible")
    text = page.locator("#log").inner_text()
    assert "quiet-25" in text
    assert "boom-21" not in text and "many-1\n" not in text, text[:500]
    shot(page, "10-filtered-step")
    # Clicking the step again shows every step; so does "All steps".
    page.locator("#steps li", has_text="[build 2/3]").click()
    group(page, "[build 3/3]").locator(".ln", has_text="boom-21").wait_for(state="visible")
    assert page.locator("#log-filter").is_hidden()
    page.locator("#steps li", has_text="[build 3/3]").click()
    quiet = group(page, "[build 2/3]").locator(".ln", has_text="quiet-25")
    quiet.wait_for(state="hidden")
    page.click("#all-steps")
    quiet.wait_for(state="visible")


def test_search_finds_lines_in_a_long_log_with_a_count(failed_page):
    page = failed_page
    page.fill("#log-search", f"many-{LONG - 1}")
    page.wait_for_selector("#search-count:text-is('1 of 1')")
    current = page.locator("#log mark.current")
    current.wait_for(state="visible")  # its step was folded: the match unfolds it
    assert current.inner_text() == f"many-{LONG - 1}"
    # many-1, many-10…19, many-100…199, many-1000…1999.
    page.fill("#log-search", "MANY-1")
    page.wait_for_selector("#search-count:text-is('1 of 1111')")
    page.click("#search-next")
    page.wait_for_selector("#search-count:text-is('2 of 1111')")
    assert page.locator("#log mark.current").inner_text() == "many-1"
    page.click("#search-prev")
    page.click("#search-prev")
    page.wait_for_selector("#search-count:text-is('1111 of 1111')")
    page.locator("#log-search").press("Enter")
    page.wait_for_selector("#search-count:text-is('1 of 1111')")
    shot(page, "11-search")
    page.fill("#log-search", "no-such-text")
    page.wait_for_selector("#search-count:text-is('No matches')")
    assert page.locator("#log mark").count() == 0


def test_a_redrawn_progress_line_shows_its_last_state(failed_page):
    # apt and pip redraw one line with carriage returns: the log shows what a terminal
    # shows last, behind BuildKit's "#N t" prefix (as `dz logs` does).
    line = "#5 0.312 Get: 10%\\r Get: 60%\\rGet: 100%\\r"
    last = failed_page.evaluate(f"BuildLog.lastState('{line}')")
    assert last == "#5 0.312 Get: 100%"
