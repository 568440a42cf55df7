"""``scripts/services``: idempotent ``up``, truthful ``status``, ``down`` stops only its own."""

from __future__ import annotations

import os
import subprocess
from functools import partial
from pathlib import Path

from core.config import REPO_ROOT, Settings
from core.health import docker_check, registry_check
from stack import procs, vault_server
from stack.layout import Layout

SERVICES = REPO_ROOT / "scripts" / "services"


def run_services(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SERVICES), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=1800)


def states(output: str) -> dict[str, str]:
    rows = [line.split(None, 1) for line in output.splitlines() if line.strip()]
    return {row[0]: row[1] for row in rows if len(row) == 2}


def test_up_twice_is_idempotent(settings, docker_socket):
    layout = Layout(settings)
    first = run_services("up")
    assert first.returncode == 0, first.stderr
    dockerd_pid = procs.read_pid(layout.run("dockerd"))

    second = run_services("up")
    assert second.returncode == 0, second.stderr
    for service in ("dockerd", "registry", "redis", "postgres", "vault", "token-service"):
        assert states(second.stdout)[service] in {"running", "reused"}, second.stdout
    # Base images are checked against the registry and not pushed again.
    image_lines = [line for line in second.stdout.splitlines() if line.startswith("image")]
    assert len(image_lines) == 3 and all(line.endswith(": present") for line in image_lines)
    assert procs.read_pid(layout.run("dockerd")) == dockerd_pid


def test_status_reports_each_service(settings, docker_socket):
    from stack.__main__ import SERVICES

    result = run_services("status")
    assert result.returncode == 0, result.stdout
    got = {name: rest.split()[0] for name, rest in states(result.stdout).items()}
    services = ("redis", "postgres", "vault", "token-service", "registry", "dockerd",
                "build-network", "buildkitd")
    assert set(SERVICES) == set(services)
    assert {name: got.get(name) for name in services} == {name: "up" for name in services}
    # The app is listed too (whether it runs depends on who else uses this stack).
    assert got["app"] in {"up", "off"}, result.stdout
    # The line that points `docker login` / `docker pull` at the stack's dockerd, and
    # the Docker CLI reaches that dockerd with it.
    export = [line for line in result.stdout.splitlines() if line.startswith("export ")]
    assert len(export) == 1 and export[0].startswith(
        f"export DOCKER_HOST=unix://{settings.docker_socket}  #"), result.stdout
    server = subprocess.run(["bash", "-c", f"{export[0]}\n/usr/bin/docker version --format "
                             "'{{.Server.Os}} {{.Server.APIVersion}}'"],
                            capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "DOCKER_HOST"})
    assert server.returncode == 0 and server.stdout.startswith("linux "), server.stderr


def test_down_stops_only_what_it_started(tmp_path, settings, docker_socket, redis_url, free_port):
    """A second stack reusing the shared dockerd, Redis, PostgreSQL and OpenBao starts its
    own registry; its ``down`` stops that registry and leaves the reused services running.

    The build network and buildkitd are left out: the network's fence is one per host
    (a second stack's ``down`` would lift the first one's), and a second buildkitd is
    the business of the buildkitd tests.
    """
    from stack.__main__ import SERVICES

    url = f"http://127.0.0.1:{free_port()}"
    env = {"RB_STATE_DIR": str(tmp_path), "RB_REGISTRY_URL": url, "RB_REGISTRY": url[7:],
           "RB_DOCKER_SOCKET": str(settings.docker_socket), "RB_REDIS_URL": redis_url,
           "RB_POSTGRES_URL": settings.postgres_url, "RB_VAULT_ADDR": settings.vault_addr}
    second = Layout(Settings.from_env({**os.environ, **env}))
    shared = [name for name in SERVICES if name not in {"build-network", "buildkitd"}]
    up = {name: SERVICES[name].up(second) for name in shared}
    assert up == {"redis": "reused", "postgres": "reused", "vault": "reused",
                  "token-service": "reused", "registry": "started", "dockerd": "reused"}
    assert registry_check(url).ok

    down = {name: SERVICES[name].down(second) for name in reversed(shared)}
    assert down == {"registry": True, **{name: False for name in shared if name != "registry"}}
    assert not registry_check(url).ok
    assert docker_check(settings.docker_socket).ok
    assert vault_server.status(Layout(settings)).ok


def _has_execd(pid: int, program: bytes) -> bool:
    return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(program)


def test_a_dockerd_started_without_lifted_log_limits_is_reported(settings, docker_socket):
    from stack import dockerd

    # Ours, found through the socket it serves, has both limits lifted.
    pid = dockerd.serving_pid(settings.docker_socket)
    assert pid == procs.read_pid(Layout(settings).run("dockerd"))
    assert dockerd.missing_log_limits(pid) == []
    # Any process started without them (as an older or foreign dockerd) is named.
    bare = {k: v for k, v in os.environ.items() if k not in dockerd.UNCLIPPED_LOGS}
    half = {**bare, "BUILDKIT_STEP_LOG_MAX_SIZE": dockerd.UNCLIPPED_LOGS[
        "BUILDKIT_STEP_LOG_MAX_SIZE"], "BUILDKIT_STEP_LOG_MAX_SPEED": "102400"}
    for env, missing in ((bare, sorted(dockerd.UNCLIPPED_LOGS)),
                         (half, ["BUILDKIT_STEP_LOG_MAX_SPEED"])):
        proc = subprocess.Popen(["sleep", "30"], env=env)
        try:
            # Until it has exec'd, the child still shows this process's environment.
            assert procs.wait_until(partial(_has_execd, proc.pid, b"sleep"), 10, 0.01)
            assert sorted(dockerd.missing_log_limits(proc.pid)) == missing
        finally:
            proc.kill()
            proc.wait()
