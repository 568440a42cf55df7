"""The push: a new layer exported and pushed at gzip level 1 (our default) vs the daemon's.

A cold build's export and push of its new layers is most of the time after its
steps, and gzip at the default level is most of that.  One step copies a realistic
tree (the base image's shared libraries, about 40 MB of binaries) into a new layer;
the solve then exports and pushes it to the stack's registry with the worker's
credentials.  Each round has a new token, so the layer is new to the daemon and the
registry alike; the two levels alternate, on a private buildkitd of the pinned build.

Usage: .venv/bin/python -m bench.push [--runs 3]
"""

from __future__ import annotations

import statistics
import time
import uuid

import buildkit
from bench.private_buildkitd import PrivateBuildkitd
from bench.report import Row, command_line
from core.config import Settings
from llb.graph import image, marshal
from pipeline.registry_settings import registry_settings
from registry.naming import parse_ref
from registry.wiring import system_client, team_worker_credentials

TEAM = "rbbench"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PAYLOAD = "cp -a /usr/lib/x86_64-linux-gnu /payload"


def definition(base: str, token: str) -> bytes:
    state = image(base, platform="linux/amd64").add_env("PATH", PATH)
    state = state.run(["/bin/sh", "-c", f"{PAYLOAD} && echo {token} > /payload/token"],
                      custom_name="[bench 1/1] new layer").root()
    return marshal(state).to_bytes()


def layer_size(settings: Settings, name: str) -> int:
    parsed = parse_ref(name)
    with system_client(registry_settings(settings)) as registry:
        manifest = registry.get_manifest(parsed.repository, parsed.reference)
    return int(manifest.document["layers"][-1]["size"])


def run(runs: int = 3) -> list[Row]:
    settings = Settings.from_env()
    user, secret = team_worker_credentials(registry_settings(settings)).for_team(TEAM)
    creds = buildkit.RegistryCredentials(user, secret)
    levels = {"level 1": 1, "daemon default": None}
    times: dict[str, list[float]] = {mode: [] for mode in levels}
    sizes: dict[str, list[int]] = {mode: [] for mode in levels}
    with PrivateBuildkitd(settings, "push") as daemon, \
            buildkit.connect(daemon.address) as client:
        def solve(mode: str, timed: bool) -> None:
            name = f"{settings.registry}/{TEAM}/push:{uuid.uuid4().hex[:12]}"
            options = buildkit.SolveOptions(
                image_name=name, push=True, compression_level=levels[mode],
                credentials=lambda host: creds if host == settings.registry else None,
                insecure_registry=settings.registry_url.startswith("http://"))
            data = definition(settings.default_base_image, uuid.uuid4().hex)
            started = time.perf_counter()
            client.solve(data, options)
            if timed:
                times[mode].append(time.perf_counter() - started)
                sizes[mode].append(layer_size(settings, name))

        solve("level 1", timed=False)  # warm: pulls the base image into the daemon
        for i in range(runs):
            for mode in levels if i % 2 == 0 else reversed(list(levels)):
                solve(mode, timed=True)
    ours, theirs = statistics.median(times["level 1"]), statistics.median(times["daemon default"])
    return [
        Row("push", f"new ~40 MB layer: step + export + push, gzip level 1 (median of {runs})",
            ours, "s", theirs, "the daemon's default gzip level", "faster than the default",
            ours < theirs,
            notes=f"level 1 {min(times['level 1']):.2f}-{max(times['level 1']):.2f} s, "
                  f"default {min(times['daemon default']):.2f}-"
                  f"{max(times['daemon default']):.2f} s"),
        Row("push", "compressed layer size, gzip level 1",
            statistics.median(sizes["level 1"]) / 1e6, "MB",
            statistics.median(sizes["daemon default"]) / 1e6, "the daemon's default level"),
    ]


if __name__ == "__main__":
    command_line(run, "the push: gzip level", __doc__)
