"""Redis: reuse whatever answers at the configured URL, else start Debian's redis-server."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

from core.health import Check, redis_check
from stack import procs
from stack.layout import Layout

NAME = "redis"


def status(layout: Layout) -> Check:
    return redis_check(layout.settings.redis_url)


def up(layout: Layout, timeout: float = 20) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    url = urlparse(layout.settings.redis_url)
    data = layout.root / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        shutil.which("redis-server") or "/usr/bin/redis-server",
        "--bind", url.hostname or "127.0.0.1", "--port", str(url.port or 6379),
        "--save", "", "--appendonly", "no", "--dir", str(data),
    ]
    procs.spawn(argv, layout.run(NAME), layout.log(NAME))
    if not procs.wait_until(lambda: status(layout).ok, timeout):
        raise RuntimeError(f"redis-server did not answer; see {layout.log(NAME)}")
    return "started"


def down(layout: Layout) -> bool:
    return procs.stop(layout.run(NAME))
