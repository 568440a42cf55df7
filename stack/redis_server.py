"""Redis: reuse whatever answers at the configured URL, else start Debian's redis-server.

The server the stack starts has no open ``default`` user: clients log in as the ACL
user named in ``RB_REDIS_URL`` (``app``, with the password the stack generated).  A
build step is hostile, and Redis holds every team's log streams; the network fence
(:mod:`stack.buildnet`) keeps steps away, the password is the second wall.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

from core.health import Check, redis_check
from stack import procs
from stack.layout import Layout

NAME = "redis"


def acl_text(user: str, password: str) -> str:
    """The ACL file: the default user off, one user with the generated password."""
    if not user or not password:
        raise ValueError("RB_REDIS_URL must name a user and password for the stack's Redis")
    return f"user default off\nuser {user} on >{password} ~* &* +@all\n"


def status(layout: Layout) -> Check:
    return redis_check(layout.settings.redis_url)


def up(layout: Layout, timeout: float = 20) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    url = urlparse(layout.settings.redis_url)
    data = layout.root / "redis"
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    acl = data / "users.acl"
    acl.touch(mode=0o600)
    acl.write_text(acl_text(url.username or "default", url.password or ""))
    argv = [
        shutil.which("redis-server") or "/usr/bin/redis-server",
        "--bind", url.hostname or "127.0.0.1", "--port", str(url.port or 6379),
        "--save", "", "--appendonly", "no", "--dir", str(data),
        "--aclfile", str(acl),
    ]
    procs.spawn(argv, layout.run(NAME), layout.log(NAME))
    if not procs.wait_until(lambda: status(layout).ok, timeout):
        raise RuntimeError(f"redis-server did not answer; see {layout.log(NAME)}")
    return "started"


def down(layout: Layout) -> bool:
    return procs.stop(layout.run(NAME))
