"""The UI tests' browser: one headless Chromium per test module."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import need
from tests.ui.browserkit import ARGS, CHROMIUM, SHOTS


@pytest.fixture(scope="module")
def browser():
    need(shutil.which("chromium") is not None, "Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()
