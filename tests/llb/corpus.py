"""A fixed corpus of recipes and compile inputs whose output bytes must never drift.

Every recipe of ``../shared/recipes`` and ``examples/`` plus a seeded set of generated
ones, each compiled under several inputs (network modes, with and without a team).
The generator uses ``random.Random(seed)`` rather than hypothesis so the same recipes
come out on every run and every version of the test libraries.
"""

from __future__ import annotations

import hashlib
import json
import random

import yaml

from core.config import REPO_ROOT
from llb import TeamNames, compile_recipe, load_recipe
from llb.recipe.diagnostics import RecipeError
from tests.llb.compile_helpers import inputs

SHARED_RECIPES = REPO_ROOT.parent / "shared" / "recipes"
EXAMPLES = REPO_ROOT / "examples"
GENERATED = 60
TEAM = TeamNames(
    variables={"URL": "https://x", "REGISTRY_URL": "https://npm.example"},
    secrets={"TOKEN": "4", "API_TOKEN": "3", "DEPLOY_KEY": "7"},
)
# (label, team, CompileInputs overrides)
VARIANTS = (
    ("host", TEAM, {}),
    ("none-offline", None, {"network_mode": "none", "team_namespace": None}),
    ("unset", TEAM, {"network_mode": "unset", "platform": "linux/arm64"}),
)

_WORDS = ["alpha", "beta", "make all", "echo $HOME", "x=1; y='2'", "héllo", "a\"b", "tab\there"]
_REFS = ["{{secret:team.TOKEN}}", "{{secret:team.URL}}", "{{secret:devzero.GITHUB_ACCESS_TOKEN}}",
         "{{secret:team.API_TOKEN}}"]


def _value(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(_WORDS)
    if kind == 1:
        return rng.choice(_REFS)
    if kind == 2:
        return rng.choice(_WORDS) + rng.choice(_REFS)
    return f"{rng.choice(_REFS)}:{rng.choice(_REFS)}"


def _env(rng: random.Random) -> list[dict]:
    names = rng.sample(["A", "PORT", "URL", "TOKEN", "B_2", "PATH"], rng.randrange(4))
    return [{"name": n, "value": _value(rng)} for n in names]


def _path(rng: random.Random) -> str:
    depth = rng.randrange(1, 4)
    parts = ["opt", "etc", "srv", "app", "x.d", "conf"]
    return "/" + "/".join(rng.choice(parts) for _ in range(depth))


def _step(rng: random.Random, launch: bool) -> dict:
    kind = rng.choice(["command", "command", "file", "directory", "apt-get", "git-clone"])
    step: dict = {"type": kind}
    if kind == "command":
        step["command"] = "\n".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 4)))
        if rng.random() < 0.5:
            step["user"] = rng.choice(["root", "devzero", "1001"])
        if rng.random() < 0.4:
            step["directory"] = rng.choice(["src", "/work", "../up"])
        if rng.random() < 0.5:
            step["environment"] = _env(rng)
        if rng.random() < 0.2:
            step["shell"] = "/bin/zsh -e {}"
        if not launch and rng.random() < 0.3:
            step["secret_mounts"] = [{"path": "/run/s/one", "value": rng.choice(_REFS)}]
            if rng.random() < 0.5:
                second = {"path": "/run/s/two", "value": "k=" + rng.choice(_REFS)}
                step["secret_mounts"].append(second)
    elif kind == "file":
        step["path"] = _path(rng) + "/f.conf"
        if rng.random() < 0.8:
            step["content"] = _value(rng) if rng.random() < 0.5 else "line1\nline2\n"
        if rng.random() < 0.5:
            step["permissions"] = rng.choice(["0600", "rwxr-x---", "0755"])
        if rng.random() < 0.5:
            step["user"] = rng.choice(["root", "devzero"])
            if rng.random() < 0.5:
                step["group"] = "staff"
    elif kind == "directory":
        step["path"] = _path(rng)
        if rng.random() < 0.5:
            step["permissions"] = "0700"
        if rng.random() < 0.5:
            step["user"] = "devzero"
    elif kind == "apt-get":
        step["packages"] = rng.sample(["git", "curl", "gcc", "make", "libssl-dev", "g++"],
                                      rng.randrange(1, 4))
        if rng.random() < 0.3:
            step["extra_repositories"] = [
                {"repository": "https://apt.example/debian", "key_url": "https://apt.example/k.gpg",
                 "components": ["main"]},
                {"repository": "ppa:owner/name"},
            ][: rng.randrange(1, 3)]
    else:
        step["url"] = rng.choice(["https://github.com/o/r", "https://example.com/x.git",
                                  "git@github.com:o/private.git"])
        if rng.random() < 0.5:
            step["branch"] = rng.choice(["main", "v1.2"])
        if rng.random() < 0.3:
            step["directory"] = "code/r"
        if rng.random() < 0.3:
            step["credentials"] = rng.choice([
                {"type": "ssh-private-key", "value": "{{secret:team.DEPLOY_KEY}}"},
                {"type": "github-token", "value": "{{secret:team.TOKEN}}"},
                {"type": "github-token", "value": "tok-{{secret:team.TOKEN}}"},
            ])
    if rng.random() < 0.3:
        step["name"] = rng.choice(["named step", "  spaced   name  ", "ünïcode"])
    return step


def generated_recipe(seed: int) -> str:
    """Recipe text number ``seed`` of the corpus (deterministic)."""
    rng = random.Random(seed)
    data: dict = {"version": "3"}
    if rng.random() < 0.5:
        data["environment"] = _env(rng)
    for phase, launch in (("build", False), ("launch", True)):
        if rng.random() < 0.9:
            block: dict = {"steps": [_step(rng, launch) for _ in range(rng.randrange(12))]}
            if rng.random() < 0.4:
                block["environment"] = _env(rng)
            data[phase] = block
    if rng.random() < 0.4:
        data["runtime"] = {"environment": _env(rng)}
    if rng.random() < 0.3:
        config: dict = {"code_clone_root": "/workspace"}
        if rng.random() < 0.5:
            config["volumes"] = [{"path": "/data", "sub_path": "data"}]
        data["config"] = config
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def corpus() -> dict[str, str]:
    """name -> recipe text, for every recipe of the corpus."""
    texts = {}
    for directory, prefix in ((SHARED_RECIPES, "shared"), (EXAMPLES, "examples")):
        for path in sorted(directory.glob("*.yaml")):
            texts[f"{prefix}/{path.name}"] = path.read_text()
    for seed in range(GENERATED):
        texts[f"generated/{seed}"] = generated_recipe(seed)
    return texts


def fingerprint(name: str, text: str, variant: tuple) -> str:
    """sha256 of everything the compile returns but warnings (those belong to the loader).

    A recipe the compiler refuses is fingerprinted by its error lines, so refusals are
    pinned as well.
    """
    _, team, overrides = variant
    try:
        recipe = load_recipe(text, name.rsplit("/", 1)[-1])
        result = compile_recipe(recipe, inputs(team, **overrides))
    except RecipeError as error:
        return "error:" + hashlib.sha256(str(error).encode()).hexdigest()
    rest = {
        "steps": [[s.id, s.phase, s.type, s.name, list(s.lines), s.digest, list(s.secrets)]
                  for s in result.steps],
        "secret_ids": list(result.secret_ids),
        "derived": result.derived_secrets,
        "image_config": result.image_config,
        "digest": result.digest,
    }
    definition = hashlib.sha256(result.definition).hexdigest()
    other = hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()
    return f"{definition}:{other}"


def fingerprints() -> dict[str, str]:
    """``<recipe>@<variant>`` -> :func:`fingerprint`, for the whole corpus."""
    return {
        f"{name}@{variant[0]}": fingerprint(name, text, variant)
        for name, text in corpus().items()
        for variant in VARIANTS
    }
