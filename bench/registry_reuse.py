"""Registry work around one build: a client per use vs the worker's one client per team.

A build asks the registry three times outside the solve: the compile stage pins the
base and launcher images, the build stage checks for a cache source, and after the
push ``:latest`` is checked or set.  Each used to open a client of its own, so each
fetched its bearer tokens and opened its connections again.  This times those reads
(resolve base, resolve launcher, resolve the cache ref) both ways, alternating, on
the stack's registry with a team's worker credential.

Usage: .venv/bin/python -m bench.registry_reuse [--runs 30]
"""

from __future__ import annotations

import statistics
import time

from bench.report import Row, command_line
from core.config import Settings
from pipeline.credentials import provider_from_settings, registry_client
from registry.errors import RegistryError
from registry.naming import parse_ref

TEAM = "rbbench"


def _build_reads(client_for, refs) -> float:
    """Seconds for one build's registry reads, each through ``client_for()``."""
    started = time.perf_counter()
    for ref in refs:
        client = client_for()
        try:
            client.resolve(ref)
        except RegistryError:
            pass  # a missing cache ref is a normal answer, and costs the same round trip
    return time.perf_counter() - started


def run(runs: int = 30) -> list[Row]:
    settings = Settings.from_env()
    provider = provider_from_settings(settings)
    refs = [parse_ref(f"{settings.registry}/library/busybox:latest"),
            parse_ref(settings.dzlaunch_image),
            parse_ref(f"{settings.registry}/{TEAM}/bench:cache")]
    shared = registry_client(settings, provider, TEAM)
    fresh, reused = [], []
    opened = []

    def new_client():
        client = registry_client(settings, provider, TEAM)
        opened.append(client)
        return client

    try:
        _build_reads(lambda: shared, refs)  # warm: the worker's client after its first build
        for _ in range(runs):
            fresh.append(_build_reads(new_client, refs))
            reused.append(_build_reads(lambda: shared, refs))
    finally:
        shared.close()
        for client in opened:
            client.close()
    ours, before = statistics.median(reused), statistics.median(fresh)
    return [Row("registry_reuse", "registry reads of one build (median)", round(ours * 1000, 2),
                "ms", baseline=round(before * 1000, 2),
                baseline_name="a new client for each read",
                target="less than a client per read", met=ours < before,
                notes=f"{runs} alternating rounds, 3 reads each; saved "
                      f"{(before - ours) * 1000:.1f} ms per build")]


if __name__ == "__main__":
    command_line(run, "registry client reuse", __doc__)
