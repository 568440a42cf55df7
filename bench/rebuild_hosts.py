"""Rebuild on a second build host from registry cache vs on the first from local cache.

Two private buildkitds of the pinned release with separate roots are two build hosts
that share only the registry.  A 20-step busybox recipe, compiled as the compile
worker does (pinned base and dzlaunch images, the team's namespace), is built on host
A with what the build stage asks of the daemon: image pushed, registry cache
exported (``mode=max``) to the recipe's ``:cache`` ref, that ref imported.  Then the
unchanged recipe is built again, solve + push through our client, timed:

* on A, from its local cache;
* on B, pruned empty (``buildctl prune --all``) before each run, from the registry cache.

Both are printed with how many of the recipe's build steps came out CACHED (B must
show all of them cached, or it rebuilt instead of importing).  Each round starts
with new steps, so A's first build is cold; rounds alternate which host goes first.
No target: the issue asks for both figures side by side.

    python -m bench.rebuild_hosts [--runs 5]
"""

from __future__ import annotations

import statistics
import time
import uuid

import buildkit
import llb
from bench.private_buildkitd import PrivateBuildkitd
from bench.report import Row, command_line
from buildkit.progress import VertexCached, VertexCompleted
from core.config import Settings
from pipeline.inputs import pin
from pipeline.registry_settings import registry_settings
from registry.wiring import system_client, team_worker_credentials

TEAM = "rbbench"
STEPS = 20


def recipe(settings: Settings, token: str) -> str:
    steps = "".join(
        f"    - type: command\n      shell: /bin/sh -e {{}}\n      user: root\n"
        f"      command: 'echo step-{i}-{token} >> /steps'\n" for i in range(STEPS))
    return (f'version: "3"\nimage: {settings.registry}/library/busybox:latest\n'
            f"build:\n  steps:\n{steps}")


class Host:
    """One build host: a private buildkitd and our client on it."""

    def __init__(self, daemon: PrivateBuildkitd) -> None:
        self.daemon = daemon
        self.client = buildkit.connect(daemon.address)

    def build(self, result: llb.CompileResult, options: buildkit.SolveOptions) -> tuple[float, int]:
        """Seconds to solve and push, and how many build steps were cached."""
        steps = {s.digest for s in result.steps if s.phase == "build" and s.digest}
        cached: set[str] = set()

        def on_event(event) -> None:
            answered = isinstance(event, VertexCached) or (
                isinstance(event, VertexCompleted) and event.cached)
            if answered and event.digest in steps:
                cached.add(event.digest)

        started = time.perf_counter()
        self.client.solve(result.definition, options, on_event=on_event)
        return time.perf_counter() - started, len(cached)

    def close(self) -> None:
        self.client.close()


def measure(runs: int) -> dict[str, list[tuple[float, int]]]:
    base = Settings.from_env()
    with system_client(registry_settings(base)) as registry:
        busybox = pin(registry, f"{base.registry}/library/busybox:latest")
        launcher = pin(registry, base.dzlaunch_image)
    user, secret = team_worker_credentials(registry_settings(base)).for_team(TEAM)
    creds = buildkit.RegistryCredentials(user, secret)
    repo = f"{base.registry}/{TEAM}/rebuild-hosts"
    insecure = base.registry_url.startswith("http://")

    def options(token: str, tag: str) -> buildkit.SolveOptions:
        cache = f"{repo}:cache-{token}"  # this round's steps only
        return buildkit.SolveOptions(
            image_name=f"{repo}:{token}-{tag}", push=True, cache_imports=(cache,),
            cache_export=cache, insecure_registry=insecure,
            credentials=lambda registry: creds if registry == base.registry else None)

    times: dict[str, list[tuple[float, int]]] = {"first": [], "a": [], "b": []}
    with PrivateBuildkitd(base, "a") as daemon_a, PrivateBuildkitd(base, "b") as daemon_b:
        a, b = Host(daemon_a), Host(daemon_b)
        try:
            for run in range(runs):
                token = uuid.uuid4().hex[:10]
                result = llb.compile_recipe(
                    llb.load_recipe(recipe(base, token), "recipe.yaml"),
                    llb.CompileInputs(base_image=busybox, dzlaunch_image=launcher,
                                      network_mode="unset", team=llb.TeamNames(),
                                      team_namespace=TEAM))
                times["first"].append(a.build(result, options(token, "first")))
                for which in ("a", "b") if run % 2 == 0 else ("b", "a"):
                    if which == "b":
                        daemon_b.prune_all()
                        times["b"].append(b.build(result, options(token, "b")))
                    else:
                        times["a"].append(a.build(result, options(token, "a")))
        finally:
            a.close()
            b.close()
    return times


def run(runs: int = 5) -> list[Row]:
    times = measure(runs)

    def median(key: str) -> float:
        return statistics.median(t for t, _ in times[key])

    def cached(key: str) -> str:
        counts = sorted({c for _, c in times[key]})
        return "/".join(str(c) for c in counts) + f" of {STEPS} steps cached"

    def spread(key: str) -> str:
        values = [t for t, _ in times[key]]
        return f"{min(values):.2f}-{max(values):.2f} s"

    fewest_b = min(c for _, c in times["b"])
    return [
        Row("rebuild_hosts", f"first build on host A, {STEPS} steps, cold (median of {runs})",
            median("first"), "s", notes=f"{spread('first')}; exports registry cache"),
        Row("rebuild_hosts", f"unchanged rebuild on host B, empty, from registry cache "
            f"(median of {runs})", median("b"), "s", median("a"),
            "host A from local cache", notes=f"{spread('b')}; B: {cached('b')}, "
            f"A: {cached('a')}; A {spread('a')}; solve+push, private buildkitds"),
        # Not a time: whether B really imported (every build step CACHED) in every run.
        Row("rebuild_hosts", "build steps CACHED on host B (fewest in a run)", fewest_b,
            "steps", target=f"{STEPS} of {STEPS}", met=fewest_b == STEPS),
    ]


if __name__ == "__main__":
    command_line(run, "rebuild on another build host", __doc__)
