"""The Procfile's processes (web, workers, beat, Flower) run in the background by
``make demo``: one ``honcho start`` tracked by a pidfile, so ``scripts/services down``
stops them and a rerun reuses them."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import requests

from core.config import REPO_ROOT
from core.health import Check, timed
from stack import procs
from stack.layout import Layout

NAME = "app"


def status(layout: Layout) -> Check:
    def probe():
        url = layout.settings.public_url
        resp = requests.get(f"{url}/healthz", timeout=5)
        return resp.status_code == 200, f"web answers {resp.status_code} at {url}"

    return timed(probe)


def up(layout: Layout, timeout: float = 90) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    honcho = shutil.which("honcho", path=str(Path(sys.executable).parent)) or "honcho"
    env = {**os.environ, **layout.settings.as_env()}
    procs.spawn([honcho, "start"], layout.run(NAME), layout.log(NAME), env=env, cwd=REPO_ROOT)
    if not procs.wait_until(lambda: status(layout).ok, timeout, 0.5):
        raise RuntimeError(f"the web app did not come up; see {layout.log(NAME)}")
    return "started"


def down(layout: Layout) -> bool:
    # honcho stops the whole Procfile when it gets SIGTERM.
    return procs.stop(layout.run(NAME), timeout=30)
