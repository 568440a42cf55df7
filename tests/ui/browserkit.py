"""Headless Chromium for the UI tests (Debian's package, driven by Playwright; nothing is
downloaded), and where their screenshots go.  The ``browser`` fixture is in conftest.py."""

from __future__ import annotations

import shutil

from core.config import REPO_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO_ROOT / "test-output" / "ui"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
