"""Cancel latency: a compiled recipe's running step, stopped through our client.

Compiles a one-step busybox recipe whose step runs ``sleep`` under dzlaunch, starts
the solve on the configured BuildKit, waits until the step's process runs, then times
``cancel()`` until the solve has returned cancelled and the step's process is gone.
Baseline in the same run: ``docker kill`` of a container running the same ``sleep``.
Target (issues 5 and 7): the running step stops within 2 s.

Usage: .venv/bin/python -m bench.cancel [--runs 3]
"""

from __future__ import annotations

import secrets
import statistics
import subprocess
import threading
import time
from contextlib import nullcontext

import psutil

import buildkit
import llb
from bench.report import Row, command_line
from bench.system import DockerCli, docker_settings
from buildkit.progress import VertexStarted
from core.clients import redis_client
from core.config import Settings
from pipeline.control import Control
from pipeline.registry_settings import registry_settings
from registry.naming import parse_ref
from registry.wiring import system_client, team_worker_credentials

TEAM = "rbbench"


def _pin(settings: Settings, ref: str) -> str:
    with system_client(registry_settings(settings)) as client:
        return f"{ref.rsplit(':', 1)[0]}@{client.resolve(parse_ref(ref))}"


def _sleepers(seconds: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"])
            if (p.info["cmdline"] or [])[-2:] == ["sleep", seconds]]


def _wait(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def cancel_once(client, settings: Settings, base: str, launcher: str,
                control: Control | None = None) -> float:
    """Seconds from the cancel to the step's process being gone.

    With ``control``, the cancel goes the pipeline's way: the API's request in Redis,
    heard by the worker's :class:`pipeline.control.CancelWatch`, which cancels the solve.
    """
    seconds = str(1000 + secrets.randbelow(100_000))
    text = (f'version: "3"\nbuild:\n  steps:\n    - type: command\n      shell: /bin/sh {{}}\n'
            f"      command: exec sleep {seconds}\n")
    result = llb.compile_recipe(llb.load_recipe(text, "bench.yaml"), llb.CompileInputs(
        base_image=base, dzlaunch_image=launcher, network_mode=settings.network_mode))
    user, secret = team_worker_credentials(registry_settings(settings)).for_team(TEAM)
    creds = buildkit.RegistryCredentials(user, secret)
    started = threading.Event()
    step = next(s.digest for s in result.steps if s.id == "1-build-step-0")

    def on_event(event):
        if isinstance(event, VertexStarted) and event.digest == step:
            started.set()

    options = buildkit.SolveOptions(
        credentials=lambda host: creds if host == settings.registry else None,
        entitlements=("network.host",) if settings.network_mode == "host" else ())
    handle = client.start_solve(result.definition, options, on_event=on_event)
    if not (started.wait(120) and _wait(lambda: _sleepers(seconds), 60)):
        raise RuntimeError("the sleep step never started")
    build_id = f"bench-{secrets.token_hex(6)}"
    with (control.watch_cancel(build_id, handle.cancel) if control else nullcontext()):
        if control:
            time.sleep(0.2)  # the worker listens long before anyone cancels a build
        t0 = time.perf_counter()
        if control:
            Control(redis_client(settings), prefix=control.prefix).request_cancel(build_id)
        else:
            handle.cancel()
        try:
            handle.result(timeout=60)
        except buildkit.SolveCancelled:
            pass
        _wait(lambda: not _sleepers(seconds), 60)
        return time.perf_counter() - t0


def docker_kill_once(cli: DockerCli, image: str) -> float:
    docker = cli.docker
    seconds = str(1000 + secrets.randbelow(100_000))
    cid = subprocess.run([*docker, "run", "-d", "--network", "none", image, "sleep", seconds],
                         capture_output=True, text=True, check=True).stdout.strip()
    _wait(lambda: _sleepers(seconds), 60)
    t0 = time.perf_counter()
    subprocess.run([*docker, "rm", "-f", cid], capture_output=True, check=True)
    _wait(lambda: not _sleepers(seconds), 60)
    return time.perf_counter() - t0


def run(runs: int = 3) -> list[Row]:
    settings = docker_settings()
    busybox = f"{settings.registry}/library/busybox:latest"
    base, launcher = _pin(settings, busybox), _pin(settings, settings.dzlaunch_image)
    ours, via_redis, baseline = [], [], []
    cli = DockerCli.worker(settings, TEAM)
    control = Control(redis_client(settings), prefix=f"bench-{secrets.token_hex(4)}")
    try:
        with buildkit.connect(settings.buildkit_addr) as client:
            for _ in range(runs):
                ours.append(cancel_once(client, settings, base, launcher))
                via_redis.append(cancel_once(client, settings, base, launcher, control))
                baseline.append(docker_kill_once(cli, base))
    finally:
        cli.close()
    median, base_median = statistics.median(ours), statistics.median(baseline)
    return [Row("cancel", "running step stopped", median, "s", baseline=base_median,
                baseline_name="docker rm -f", target="<= 2 s", met=max(ours) <= 2.0,
                notes=f"worst of {runs}: {max(ours):.2f} s"),
            Row("cancel", "cancel requested in Redis, step stopped",
                statistics.median(via_redis), "s", baseline=median,
                baseline_name="handle.cancel() in the worker",
                target="the Redis hop adds no polling interval",
                met=statistics.median(via_redis) - median < 0.1,
                notes=f"worst of {runs}: {max(via_redis):.3f} s")]


if __name__ == "__main__":
    command_line(run, "cancel", __doc__)
