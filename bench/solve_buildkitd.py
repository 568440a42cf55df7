"""Our BuildKit client vs ``buildctl build`` on the same (private) buildkitd.

One Definition, built with the project's LLB marshaller (``llb.graph``): the
registry's busybox and STEPS exec steps, exported as an image in the daemon's store
(not pushed; an exporter makes both sides evaluate the whole graph).  Our client
(``buildkit.connect(addr).solve``) and ``buildctl build`` fed the same serialized
Definition on stdin solve it on one private buildkitd of the pinned release, cold
(``buildctl prune --all`` first: the base is pulled again, every step runs) and warm
(everything cached).  Rounds alternate who goes first.  Target (issue 15): ours /
buildctl <= 1.0.

    python -m bench.solve_buildkitd [--runs 5] [--steps 16]
"""

from __future__ import annotations

import statistics
import time
import uuid

import buildkit
from bench.private_buildkitd import DockerConfig, PrivateBuildkitd
from bench.report import Row, command_line
from core.config import Settings
from llb.graph import image, marshal
from pipeline.registry_settings import registry_settings
from registry.wiring import team_worker_credentials

TEAM = "rbbench"
STEPS = 16
TARGET = 1.0
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def definition(base: str, steps: int, token: str) -> bytes:
    """FROM base; ``steps`` small exec steps, each on the previous one's rootfs."""
    state = image(base, platform="linux/amd64").add_env("PATH", PATH)
    for i in range(steps):
        script = f"echo step-{i}-{token} >> /steps && wc -l /steps > /count"
        state = state.run(["/bin/sh", "-c", script], custom_name=f"[bench {i + 1}/{steps}]").root()
    return marshal(state).to_bytes()


def measure(runs: int, steps: int) -> dict[tuple[str, str], list[float]]:
    settings = Settings.from_env()
    base = f"{settings.registry}/library/busybox:latest"
    user, secret = team_worker_credentials(registry_settings(settings)).for_team(TEAM)
    creds = buildkit.RegistryCredentials(user, secret)
    data = definition(base, steps, uuid.uuid4().hex[:10])
    options = buildkit.SolveOptions(
        image_name="rb-bench/ours:latest", push=False,
        credentials=lambda host: creds if host == settings.registry else None,
        insecure_registry=settings.registry_url.startswith("http://"))
    cli_args = ("build", "--progress", "quiet", "--output", "type=image,name=rb-bench/cli:latest")
    times: dict[tuple[str, str], list[float]] = {}
    with PrivateBuildkitd(settings, "solve") as daemon, \
            DockerConfig(settings.registry, user, secret) as config, \
            buildkit.connect(daemon.address) as client:
        # Untimed: the first solve of a fresh daemon also loads its worker state.
        client.solve(data, options)
        daemon.buildctl(*cli_args, stdin=data, env=config.env)
        for run in range(runs):
            # Alternate who goes first: the shared machine's noise drifts.
            for who in ("ours", "cli") if run % 2 == 0 else ("cli", "ours"):
                daemon.prune_all()
                for mode in ("cold", "warm"):
                    if who == "ours":
                        started = time.perf_counter()
                        client.solve(data, options)
                        took = time.perf_counter() - started
                    else:
                        took = daemon.buildctl(*cli_args, stdin=data, env=config.env)
                    times.setdefault((who, mode), []).append(took)
    return times


def run(runs: int = 5, steps: int = STEPS) -> list[Row]:
    times = measure(runs, steps)
    rows = []
    for mode in ("cold", "warm"):
        ours = statistics.median(times[("ours", mode)])
        cli = statistics.median(times[("cli", mode)])
        rows.append(Row("solve_buildkitd", f"{steps}-step solve, {mode} (median of {runs})",
                        ours, "s", cli, "buildctl build", f"<= {TARGET:.2f}x",
                        ours / cli <= TARGET,
                        notes="private buildkitd " + _spread(times, mode)))
    return rows


def _spread(times: dict[tuple[str, str], list[float]], mode: str) -> str:
    ours, cli = times[("ours", mode)], times[("cli", mode)]
    return (f"ours {min(ours):.3f}-{max(ours):.3f} s, "
            f"buildctl {min(cli):.3f}-{max(cli):.3f} s")


if __name__ == "__main__":
    command_line(run, "our client vs buildctl on buildkitd", __doc__)
