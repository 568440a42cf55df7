"""The Procfile's processes (web, workers, beat, Flower).

``make demo`` runs them in the background: one ``honcho start`` tracked by a pidfile, so
``scripts/services down`` stops them and a rerun reuses them. ``make up`` runs them in
the foreground and takes over from a background one (it stops it first): the ports are
the same, and two sets of workers on one state directory would only compete. Either way
the pidfile names the honcho, so ``scripts/services status`` lists its processes.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

from core.config import REPO_ROOT
from core.health import Check, timed
from stack import procs
from stack.layout import Layout

NAME = "app"
# honcho gives each process it starts this variable ("web.1"); its children inherit it.
PROCESS_NAME_VAR = "HONCHO_PROCESS_NAME"


class PortsBusy(RuntimeError):
    """A port of the app is held by a program this stack did not start."""


@dataclass(frozen=True)
class AppProcess:
    name: str  # as honcho numbers it: "web.1"
    pid: int
    listening: tuple[str, ...]  # "127.0.0.1:8000"


def status(layout: Layout) -> Check:
    def probe():
        url = layout.settings.public_url
        resp = requests.get(f"{url}/healthz", timeout=5)
        return resp.status_code == 200, f"web answers {resp.status_code} at {url}"

    return timed(probe)


def honcho_path() -> str:
    return shutil.which("honcho", path=str(Path(sys.executable).parent)) or "honcho"


def up(layout: Layout, timeout: float = 90) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    env = {**os.environ, **layout.settings.as_env()}
    procs.spawn([honcho_path(), "start"], layout.run(NAME), layout.log(NAME), env=env,
                cwd=REPO_ROOT)
    if not procs.wait_until(lambda: status(layout).ok, timeout, 0.5):
        raise RuntimeError(f"the web app did not come up; see {layout.log(NAME)}")
    return "started"


def down(layout: Layout) -> bool:
    # honcho stops the whole Procfile when it gets SIGTERM.
    return procs.stop(layout.run(NAME), timeout=30)


def ports(layout: Layout) -> list[int]:
    return [layout.settings.web_port, layout.settings.flower_port]


def listener(port: int) -> int | None:
    """The pid listening on TCP ``port`` (any address), or None."""
    for conn in psutil.net_connections("inet"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return conn.pid
    return None


def _honcho_above(pid: int) -> int | None:
    """The honcho that started ``pid`` (a process of a Procfile), or None."""
    try:
        proc = psutil.Process(pid)
        if PROCESS_NAME_VAR not in proc.environ():
            return None
        while proc is not None and PROCESS_NAME_VAR in proc.environ():
            proc = proc.parent()
        # honcho runs each process from a forked copy of itself (same command line).
        while proc is not None and (parent := proc.parent()) is not None \
                and parent.cmdline() == proc.cmdline():
            proc = parent
        return proc.pid if proc is not None else None
    except psutil.Error:
        return None


def find(layout: Layout) -> tuple[int | None, bool]:
    """The honcho running the app and whether this stack started it (its pidfile).

    Without our pidfile, the honcho above whatever listens on the web port (``honcho
    start`` run by hand) is found too, so ``status`` shows it and says it is not ours.
    """
    pid = procs.read_pid(layout.run(NAME))
    if pid is not None:
        return pid, True
    web = listener(layout.settings.web_port)
    return (_honcho_above(web) if web else None), False


def processes(honcho: int) -> list[AppProcess]:
    """The Procfile's processes under ``honcho``, with the addresses they listen on.

    Each is the topmost process carrying honcho's name variable (honcho starts it
    through a forked copy of itself, which does not carry it).
    """
    try:
        tree = psutil.Process(honcho).children(recursive=True)
    except psutil.Error:
        return []
    named: dict[int, str] = {}
    for proc in tree:
        try:
            if name := proc.environ().get(PROCESS_NAME_VAR):
                named[proc.pid] = name
        except psutil.Error:
            pass
    found = []
    for proc in tree:
        if proc.pid not in named or proc.ppid() in named:
            continue
        listening: set[str] = set()
        try:
            for member in [proc, *proc.children(recursive=True)]:
                listening |= {f"{c.laddr.ip}:{c.laddr.port}"
                              for c in member.net_connections("inet")
                              if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            pass
        found.append(AppProcess(named[proc.pid], proc.pid, tuple(sorted(listening))))
    return sorted(found, key=lambda p: p.name)


def describe(layout: Layout) -> list[str]:
    """``scripts/services status`` lines about the app (it is not a service: never DOWN)."""
    honcho, ours = find(layout)
    if honcho is None:
        web = listener(layout.settings.web_port)
        if web is not None:
            return [f"{NAME:14} {'up':5} pid {web} listens on the web port "
                    f"{layout.settings.web_port}; not a honcho of the Procfile"]
        return [f"{NAME:14} {'off':5} not running (`make up` or `make demo` starts it)"]
    owner = ("started by this stack; `scripts/services down` stops it" if ours
             else "not started by this stack (no pidfile); left alone by `down`")
    lines = [f"{NAME:14} {'up':5} honcho pid {honcho}, {owner}; {status(layout).detail}; "
             f"log {layout.log(NAME)}"]
    for proc in processes(honcho):
        where = f"  listening on {', '.join(proc.listening)}" if proc.listening else ""
        lines.append(f"  {proc.name:12} pid {proc.pid}{where}")
    return lines


def take_over(layout: Layout, timeout: float = 60) -> str:
    """Make room for ``make up``: stop the app this stack started (``make demo``'s
    background one), then check that nothing else holds the app's ports.

    Raises:
        PortsBusy: a program this stack did not start holds a port (it is left alone).
    """
    pid = procs.read_pid(layout.run(NAME))
    said = "no app of this stack was running"
    if pid is not None:
        procs.stop(layout.run(NAME), timeout=timeout)
        said = f"stopped the app this stack started earlier (honcho pid {pid})"
    # honcho exits once its children did, but a port can take a moment to be released.
    procs.wait_until(lambda: not any(listener(port) for port in ports(layout)), 10, 0.2)
    busy = {port: holder for port in ports(layout) if (holder := listener(port))}
    if busy:
        held = ", ".join(f"port {port} by pid {holder}" for port, holder in busy.items())
        raise PortsBusy(f"the app's ports are held by a program this stack did not start "
                        f"({held}); stop it, or set RB_WEB_PORT / RB_FLOWER_PORT")
    return said


def foreground(layout: Layout, procfile: Path = REPO_ROOT / "Procfile",
               log: Callable[[str], None] = print) -> None:
    """``make up``: become ``honcho start`` in the foreground (Ctrl-C stops it).

    The pidfile gets this process's pid before the exec (which keeps it), so
    ``status`` lists the processes, ``make demo`` reuses them and ``down`` stops them.
    """
    log(f"{NAME:14} {take_over(layout)}; starting the Procfile in the foreground")
    layout.run(NAME).parent.mkdir(parents=True, exist_ok=True)
    layout.run(NAME).write_text(f"{os.getpid()}\n")
    sys.stdout.flush()
    honcho = honcho_path()
    os.chdir(procfile.parent)  # the Procfile's commands are relative to the checkout
    os.execvp(honcho, [honcho, "start", "-f", str(procfile), "-d", str(procfile.parent)])
