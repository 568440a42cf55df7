"""``make up`` after ``make demo``: the demo's background app is taken over, never
fought over, and ``scripts/services status`` lists the app's processes.

Each test runs its own honcho with a small Procfile on private ports and a private
state directory, so the shared stack's app (if any) is never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import psutil
import pytest

from core.config import Settings
from stack import appprocs, procs
from stack.layout import Layout

HTTP = f"{sys.executable} -m http.server --bind 127.0.0.1"


@pytest.fixture
def layout(tmp_path, free_port) -> Layout:
    web, flower = free_port(), free_port()
    env = {**os.environ, "RB_STATE_DIR": str(tmp_path / "state"), "RB_WEB_PORT": str(web),
           "RB_FLOWER_PORT": str(flower), "RB_PUBLIC_URL": f"http://127.0.0.1:{web}"}
    return Layout(Settings.from_env(env))


@pytest.fixture
def procfile(tmp_path, layout):
    """A Procfile shaped like the real one: web and Flower listen, the others do not."""
    path = tmp_path / "app" / "Procfile"
    path.parent.mkdir()
    path.write_text(f"web: {HTTP} {layout.settings.web_port}\n"
                    "compile: sleep 600\n"
                    f"flower: {HTTP} {layout.settings.flower_port}\n")
    return path


def honcho_argv(procfile) -> list[str]:
    return [appprocs.honcho_path(), "start", "-f", str(procfile), "-d", str(procfile.parent)]


def listening(port: int) -> bool:
    return appprocs.listener(port) is not None


def wait_listening(layout: Layout) -> None:
    assert procs.wait_until(lambda: all(listening(p) for p in appprocs.ports(layout)), 120, 0.2)


@pytest.fixture
def demo_app(layout, procfile):
    """The app as ``make demo`` leaves it: a background honcho under our pidfile."""
    pid = procs.spawn(honcho_argv(procfile), layout.run(appprocs.NAME),
                      layout.log(appprocs.NAME), cwd=procfile.parent)
    wait_listening(layout)
    yield pid
    kill_tree(pid)


def kill_tree(pid: int) -> None:
    try:
        tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for proc in tree:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(tree, timeout=30)


def test_status_lists_the_demo_app_processes_with_pids_and_ports(layout, demo_app):
    lines = appprocs.describe(layout)
    assert lines[0].split()[:2] == ["app", "up"]
    assert f"honcho pid {demo_app}, started by this stack" in lines[0]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"web.1", "compile.1", "flower.1"}
    children = {p.pid for p in psutil.Process(demo_app).children(recursive=True)}
    for line in rows.values():
        assert int(line.split()[2]) in children, line
    web, flower = layout.settings.web_port, layout.settings.flower_port
    assert rows["web.1"].endswith(f"listening on 127.0.0.1:{web}")
    assert rows["flower.1"].endswith(f"listening on 127.0.0.1:{flower}")
    assert "listening" not in rows["compile.1"]


def test_status_finds_a_honcho_started_by_hand_and_says_it_is_not_ours(layout, procfile):
    proc = subprocess.Popen(honcho_argv(procfile), stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_listening(layout)
        lines = appprocs.describe(layout)
        assert f"honcho pid {proc.pid}, not started by this stack" in lines[0]
        assert {line.split()[0] for line in lines[1:]} == {"web.1", "compile.1", "flower.1"}
    finally:
        kill_tree(proc.pid)
        proc.wait()


def test_status_says_when_no_app_runs(layout):
    assert appprocs.describe(layout) == [
        f"{'app':14} off   not running (`make up` or `make demo` starts it)"]


def test_make_up_takes_over_the_app_the_demo_left_running(layout, procfile, demo_app):
    demo_tree = [demo_app, *(p.pid for p in psutil.Process(demo_app).children(recursive=True))]
    script = ("import sys; from core.config import Settings; from stack import appprocs; "
              "from stack.layout import Layout; from pathlib import Path; "
              "appprocs.foreground(Layout(Settings.from_env()), Path(sys.argv[1]))")
    env = {**os.environ, **{k: str(v) for k, v in layout.settings.as_env().items()}}
    up = subprocess.Popen([sys.executable, "-c", script, str(procfile)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          start_new_session=True)
    try:
        # The demo's honcho and every process under it are gone; the foreground one
        # (the same pid: it exec'd honcho) serves the ports and owns the pidfile.
        assert procs.wait_until(lambda: not any(procs.pid_alive(p) for p in demo_tree), 90)
        wait_listening(layout)
        assert procs.read_pid(layout.run(appprocs.NAME)) == up.pid
        assert appprocs.find(layout) == (up.pid, True)
        assert {p.name for p in appprocs.processes(up.pid)} == {"web.1", "compile.1",
                                                                 "flower.1"}
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        try:
            out, _ = up.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            kill_tree(up.pid)
            out, _ = up.communicate()
    assert f"stopped the app this stack started earlier (honcho pid {demo_app})" in out.decode()


def test_make_up_leaves_a_port_held_by_another_program_alone(layout):
    with socket.socket() as held:
        held.bind(("127.0.0.1", layout.settings.web_port))
        held.listen()
        with pytest.raises(appprocs.PortsBusy) as caught:
            appprocs.take_over(layout, timeout=5)
        assert f"port {layout.settings.web_port} by pid {os.getpid()}" in str(caught.value)
        assert not layout.run(appprocs.NAME).exists()
