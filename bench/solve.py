"""Our BuildKit client vs ``docker build`` (BuildKit) on the same daemon.

Solves one small Definition (busybox base, two RUN steps, image export) through
``buildkit.connect`` and builds the equivalent Dockerfile with Debian's Docker
CLI (DOCKER_BUILDKIT=1), cold (after ``builder prune -a``) and warm (all
cached).  Prints the median times and the ratio ours/CLI; target <= 1.05.

Usage: .venv/bin/python bench/solve.py [--runs 3]
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import time
from pathlib import Path

import buildkit
from bench.report import Row, command_line
from bench.system import DockerCli, docker_settings
from buildkit.engine import EngineClient
from llb.pb import ops_pb2
from pipeline.registry_settings import registry_settings
from registry.wiring import team_worker_credentials

STEPS = ("echo bench > /a", "cat /a /a > /b")
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TEAM = "rbbench"


def definition(base: str, host_network: bool) -> ops_pb2.Definition:
    """FROM base; RUN each of STEPS — as LLB."""
    ops, metadata = [], {}

    def add(op: ops_pb2.Op, caps: tuple[str, ...]) -> str:
        op.platform.OS, op.platform.Architecture = "linux", "amd64"
        op.constraints.SetInParent()
        data = op.SerializeToString(deterministic=True)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        ops.append(data)
        metadata[digest] = ops_pb2.OpMetadata(caps={c: True for c in caps})
        return digest

    head = add(ops_pb2.Op(source=ops_pb2.SourceOp(identifier=f"docker-image://{base}")),
               ("source.image",))
    for script in STEPS:
        meta = ops_pb2.Meta(args=["/bin/sh", "-c", script],
                            env=[DEFAULT_PATH], cwd="/")
        op = ops_pb2.Op(inputs=[ops_pb2.Input(digest=head)], exec=ops_pb2.ExecOp(
            meta=meta, mounts=[ops_pb2.Mount(input=0, dest="/", output=0)],
            network=ops_pb2.HOST if host_network else ops_pb2.UNSET))
        head = add(op, ("exec.meta.base", "exec.mount.bind", "exec.meta.network"))
    terminal = ops_pb2.Op(inputs=[ops_pb2.Input(digest=head)])
    d = ops_pb2.Definition(**{"def": [*ops, terminal.SerializeToString(deterministic=True)]})
    for digest, meta in metadata.items():
        d.metadata[digest].CopyFrom(meta)
    return d


def time_client(client, d, options) -> float:
    start = time.perf_counter()
    client.solve(d, options)
    return time.perf_counter() - start


def time_cli(docker: DockerCli, context: Path, tag: str, host_network: bool) -> float:
    cmd = [*docker.docker, "build", "-q", "-t", tag, str(context)]
    if host_network:
        cmd[-1:-1] = ["--network", "host"]
    start = time.perf_counter()
    subprocess.run(cmd, env=docker.env, check=True, capture_output=True)
    return time.perf_counter() - start


TARGET = 1.05


def measure(runs: int) -> dict[tuple[str, str], list[float]]:
    """Seconds per (who, mode) over ``runs`` rounds."""
    settings = docker_settings()
    base = f"{settings.registry}/library/busybox:latest"
    host = settings.network_mode == "host"
    engine = EngineClient(str(settings.docker_socket))
    # Both sides pull the base with the credential a build worker holds for a team.
    docker = DockerCli.worker(settings, TEAM)
    context = docker.context(list(STEPS), "solve")
    workers = team_worker_credentials(registry_settings(settings))
    creds = buildkit.RegistryCredentials(*workers.for_team(TEAM))
    d = definition(base, host)
    options = buildkit.SolveOptions(
        image_name="rb-bench/ours:latest", push=False,
        credentials=lambda registry: creds if registry == settings.registry else None,
        entitlements=("network.host",) if host else ())
    times: dict[tuple[str, str], list[float]] = {}
    try:
        with buildkit.connect(settings.buildkit_addr) as client:
            for run in range(runs):
                # Alternate who goes first: the shared machine's noise drifts.
                for who in ("ours", "cli") if run % 2 == 0 else ("cli", "ours"):
                    engine.prune_build_cache(all_cache=True)
                    for mode in ("cold", "warm"):
                        if who == "ours":
                            took = time_client(client, d, options)
                        else:
                            took = time_cli(docker, context, "rb-bench/cli:latest", host)
                        times.setdefault((who, mode), []).append(took)
    finally:
        docker.close()
    return times


def run(runs: int = 3) -> list[Row]:
    times = measure(runs)
    rows = []
    for mode in ("cold", "warm"):
        ours = statistics.median(times[("ours", mode)])
        cli = statistics.median(times[("cli", mode)])
        rows.append(Row("solve", f"2-step solve, {mode} (median of {runs})", ours, "s", cli,
                        "docker build", f"<= {TARGET:.2f}x", ours / cli <= TARGET))
    return rows


if __name__ == "__main__":
    command_line(run, "solve: ours vs docker build", __doc__)
