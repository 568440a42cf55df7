"""Every shared recipe built for real, through the whole pipeline on the configured engine
(the stack's buildkitd; scripts/run-tests' second pass, Docker's BuildKit).

Build steps reach Debian's archive here and no other host.  A recipe that needs only the
archive must build, and the tools it installs must run in the image its team pulls back
from the registry.  A recipe that needs another host must fail at the step that does,
with that step's own error in the log: never a hang, never a generic error.

Each recipe is classified by hand below, one reason per recipe, and a guard fails
when a shared recipe is not classified, so a new one is never skipped in silence.
All builds are submitted at once by one team: their identical first steps share the
team's build cache and apt cache, which keeps the whole file within a few minutes.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import llb
from core.db import BuildState
from pipeline.registry_settings import registry_settings
from registry.wiring import team_worker_credentials
from tests.e2e.test_recipe_on_buildkit import docker


@dataclass(frozen=True)
class Builds:
    """Needs only Debian's archive: builds, and each probe prints its text in the image."""

    reason: str
    probes: dict[str, str]


@dataclass(frozen=True)
class NeedsHost:
    """Needs another host: fails at build step ``step`` with ``error`` in the log and
    the exit code ``code`` (None: a clone, which BuildKit fetches without a process).

    ``also``: later steps that may fail first instead.  BuildKit resolves every clone's
    source when the solve starts, all at once, so of two clones either may fail first.
    """

    reason: str
    step: int
    error: str
    code: int | None
    also: tuple[int, ...] = ()

    @property
    def steps(self) -> tuple[int, ...]:
        return (self.step, *self.also)


def curl_error(host: str) -> str:
    """What curl prints when a name does not resolve (its error 6)."""
    return f"Could not resolve host: {host}"


#: What git prints (in BuildKit's error for a clone's fetch) when github.com does not resolve.
GIT_ERROR = curl_error("github.com")


RECIPES: dict[str, Builds | NeedsHost] = {
    "01-bazel-buildfarm.yaml": NeedsHost(
        "kubectl is fetched with curl from dl.k8s.io", 1, curl_error("dl.k8s.io"), 6),
    "02-bazel-apt-repo.yaml": NeedsHost(
        "bazel's apt repository and key are on bazel.build", 1, curl_error("bazel.build"), 6),
    "04-docker.yaml": NeedsHost(
        "Docker's apt repository and key", 1, curl_error("download.docker.com"), 6),
    "05-nix.yaml": NeedsHost(
        "the Nix installer is fetched from nixos.org", 1, curl_error("nixos.org"), 1),
    "09-mongodb.yaml": NeedsHost(
        "MongoDB's apt repository and key", 1, curl_error("www.mongodb.org"), 6),
    "10-postgres.yaml": NeedsHost(
        "PostgreSQL's apt repository and key", 1, curl_error("www.postgresql.org"), 6),
    "22-go.yaml": NeedsHost(
        "Go is fetched with wget from go.dev", 1, "unable to resolve host address", 4),
    "26-python-venv.yaml": NeedsHost(
        "a Launchpad PPA, which the Debian base refuses before any download", 0,
        "PPA repositories need an Ubuntu base image", 1),
    "35-exec-stages-nvm-docker.yaml": NeedsHost(
        "nvm's installer is fetched from GitHub", 1, curl_error("raw.githubusercontent.com"), 6),
    "36-clone-multiple-repos.yaml": NeedsHost(
        "clones from github.com, twice", 1, GIT_ERROR, None, also=(2,)),
    "38-browser-ide-code-server.yaml": NeedsHost(
        "code-server is fetched from GitHub", 1, curl_error("github.com"), 2),
    "40-neondb-todo-serialized.yaml": NeedsHost(
        "clones from github.com", 1, GIT_ERROR, None),
    "41-neondb-todo-ui-template.yaml": NeedsHost(
        "clones from github.com (after a plain echo)", 2, GIT_ERROR, None),
    "42-xata-psql-runtime-env.yaml": Builds(
        "apt-get from Debian's archive only", {
            "gcc --version": "gcc (Debian",
            "g++ --version": "g++ (Debian",
            "make --version": "GNU Make",
            "echo 'int main(void){return 0;}' | gcc -x c -o /tmp/a - && /tmp/a && echo built":
                "built",
            "curl --version": "curl ",
            "git --version": "git version",
            "nano --version": "GNU nano",
            "command -v add-apt-repository": "/usr/bin/add-apt-repository",
            "ssh -V 2>&1": "OpenSSH_",
            "test -x /usr/sbin/sshd && echo sshd-ok": "sshd-ok",
            "sudo -n true && echo sudo-ok": "sudo-ok",
            "tar --version": "GNU tar",
            "unzip -v": "UnZip",
            "vim --version": "VIM - Vi IMproved",
            "wget --version": "GNU Wget",
            "zip -v": "This is Zip",
            "psql --version": "psql (PostgreSQL)",
            # The recipe's runtime environment reaches a login shell.
            'echo "key=$XATA_API_KEY"': "key=<api-key>",
        }),
    "56-postgres14-command-and-launch.yaml": NeedsHost(
        "PostgreSQL's key is fetched with curl", 1, curl_error("www.postgresql.org"), 2),
}

SECRET = re.compile(r"\{\{\s*secret\s*:\s*team\.(\w+)\s*\}\}")
#: Generous bounds: every build queues behind the others on two worker processes.
BUILD_TIMEOUT = 1800


def shared_recipes(shared_dir: Path) -> list[str]:
    return sorted(p.name for p in (shared_dir / "recipes").glob("*.yaml"))


def reaches_out(step) -> bool:
    """Whether a build step names a host or repository outside Debian's archive."""
    text = step.model_dump_json()
    return "://" in text or "ppa:" in text


def test_every_shared_recipe_is_classified(shared_dir):
    assert shared_recipes(shared_dir) == sorted(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_classification_agrees_with_the_recipe(shared_dir, name):
    """A Debian-only recipe names no other host; a network one fails at its first step
    that names one (so a changed recipe breaks this rather than the expectations)."""
    steps = llb.load_recipe((shared_dir / "recipes" / name).read_text(), name).build_steps()
    outside = [i for i, step in enumerate(steps) if reaches_out(step)]
    kind = RECIPES[name]
    if isinstance(kind, Builds):
        assert outside == []
    else:
        assert tuple(outside[:len(kind.steps)]) == kind.steps


@pytest.fixture(scope="module")
def builds(pipeline, shared_dir):
    """Every shared recipe submitted at once by one team: name → (team, build id)."""
    team = pipeline.team(limit=len(RECIPES))
    texts = {name: (shared_dir / "recipes" / name).read_text() for name in shared_recipes(
        shared_dir)}
    # Team secrets the recipes read get dummy values (a build never connects with them).
    for name in sorted({s for text in texts.values() for s in SECRET.findall(text)}):
        pipeline.put_secret(team, name, f"dummy-{uuid.uuid4().hex}")
    # The Debian-only builds first: they take longest and the rest reuse their apt cache.
    order = sorted(texts, key=lambda n: not isinstance(RECIPES.get(n), Builds))
    return team, {name: pipeline.submit(team, texts[name]) for name in order}


@pytest.fixture(scope="module")
def team_docker(pipeline, builds, tmp_path_factory, docker_socket):
    """A Docker CLI config holding the team's registry credentials (as a workspace host
    pulls a team's image), for the stack's dockerd."""
    team, _ = builds
    settings = pipeline.settings
    user, password = team_worker_credentials(registry_settings(settings)).for_team(team.slug)
    config = tmp_path_factory.mktemp("team-docker")
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {settings.registry: {"auth": auth}}}))
    return config


def probe_script(probes: dict[str, str]) -> str:
    """One shell script running every probe, each output under a marker line."""
    return "set -e\n" + "".join(f"echo '==> {i}'\n{command}\n"
                                for i, command in enumerate(probes))


def probe_outputs(stdout: str, count: int) -> list[str]:
    """Each probe's output, by the markers :func:`probe_script` printed."""
    parts = re.split(r"^==> (\d+)$", stdout, flags=re.M)
    found = dict(zip(parts[1::2], parts[2::2], strict=True))
    return [found.get(str(i), "") for i in range(count)]


@pytest.mark.parametrize("name", [n for n, k in RECIPES.items() if isinstance(k, Builds)])
def test_debian_only_recipe_builds_and_its_tools_run_in_the_pulled_image(
        pipeline, builds, team_docker, name):
    _, ids = builds
    build = pipeline.wait(ids[name], timeout=BUILD_TIMEOUT)
    assert build.state is BuildState.SUCCEEDED, build.error_message

    settings, probes = pipeline.settings, RECIPES[name].probes
    image = build.image_ref
    pulled = docker(settings, team_docker, "pull", image)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    try:
        # One container per image runs every probe, as the workspace user in a login shell.
        ran = docker(settings, team_docker, "run", "--rm", "--network", "none", "-u", "devzero",
                     image, "bash", "-lc", probe_script(probes))
    finally:
        docker(settings, team_docker, "image", "rm", image)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    outputs = probe_outputs(ran.stdout, len(probes))
    for (command, expected), output in zip(probes.items(), outputs, strict=True):
        assert expected in output, f"{command!r} printed {output!r}"


@pytest.mark.parametrize("name", [n for n, k in RECIPES.items() if isinstance(k, NeedsHost)])
def test_recipe_needing_another_host_fails_at_that_step_with_its_own_error(
        pipeline, builds, name):
    _, ids = builds
    build = pipeline.wait(ids[name], timeout=BUILD_TIMEOUT)
    expected = RECIPES[name]

    assert build.state is BuildState.FAILED, build.error_message
    assert build.error_step_id in {f"1-build-step-{i}" for i in expected.steps}, \
        build.error_message
    (step,) = [s for s in build.pinned_inputs["compiled"]["steps"]
               if s["id"] == build.error_step_id]
    first, last = step["lines"]
    assert build.error_line is not None and first <= build.error_line <= last
    head = f"step {step['name']} failed at recipe line {build.error_line}"
    if expected.code is None:  # BuildKit's own error for the fetch follows
        assert build.error_message.startswith(head + ": "), build.error_message
    else:  # the process's exit code, not whatever error carried it
        assert build.error_message.splitlines()[0] == f"{head} with exit code {expected.code}", \
            build.error_message
    # The step's own error: in the log, and quoted by the build's error.
    assert expected.error in pipeline.log_text(ids[name])
    assert expected.error in build.error_message
