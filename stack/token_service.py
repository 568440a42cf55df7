"""The registry's token endpoint (the web app's ``/v2/token``) on the realm's own port."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import requests

from core.config import REPO_ROOT
from core.health import Check, timed
from stack import procs
from stack.layout import Layout

NAME = "token-service"


def status(layout: Layout) -> Check:
    settings = layout.settings

    def probe():
        resp = requests.get(settings.registry_realm, params={"service": settings.registry_service},
                            timeout=3)
        if resp.status_code == 200 and "token" in resp.json():
            return True, f"issues tokens at {settings.registry_realm}"
        return False, f"{settings.registry_realm} answered {resp.status_code}"

    return timed(probe)


def up(layout: Layout, timeout: float = 30) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    realm = urlparse(layout.settings.registry_realm)
    env = {**os.environ, **layout.settings.as_env(),
           "RB_WEB_HOST": realm.hostname or "127.0.0.1", "RB_WEB_PORT": str(realm.port or 80)}
    procs.spawn([sys.executable, "-m", "app"], layout.run(NAME), layout.log(NAME), env=env,
                cwd=REPO_ROOT)
    if not procs.wait_until(lambda: status(layout).ok, timeout, 0.3):
        raise RuntimeError(f"the token service did not answer; see {layout.log(NAME)}")
    return "started"


def down(layout: Layout) -> bool:
    return procs.stop(layout.run(NAME))
