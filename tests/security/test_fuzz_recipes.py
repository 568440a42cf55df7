"""Fuzzing the recipe loader and compiler with 10 000 generated recipes.

The generator builds recipes from the v3 grammar (every step type, every field) and
then breaks them in the ways people do: wrong types, unknown keys, bad secret
references, shell expansion in paths, unsupported users.  Whatever comes out, the
loader and compiler must either produce a Definition BuildKit can read or raise a
``RecipeError`` whose every diagnostic points at a line of the text; any other
exception is a crash and fails the test.
"""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llb import CompileInputs, RecipeError, TeamNames, compile_recipe, load_recipe
from llb.graph.definition import Definition

INPUTS = CompileInputs(
    base_image="127.0.0.1:5000/library/devbox@sha256:" + "1" * 64,
    dzlaunch_image="127.0.0.1:5000/library/dzlaunch@sha256:" + "2" * 64,
    team=TeamNames(variables={"URL": "https://example.invalid", "PLAIN": "x"},
                   secrets={"TOKEN": "3", "KEY": "1"}),
    team_namespace="team-a",
)

# Small pools keep generation cheap (10 000 examples must stay quick) while still
# reaching every branch: valid values, near misses, and wrong types.
words = st.sampled_from(["", "a", "make", "echo hi", "x" * 40, "ünï", "a\nb", "$HOME", "~/x",
                         "{{secret:team.TOKEN}}", "{{ secret:team.NOPE }}", "{{secret:user.KEY}}",
                         "{{secret:devzero.GITHUB_ACCESS_TOKEN}}", "{{secret:", "}}", "{{x}}",
                         "{{secret:team.URL}}", "pre {{secret:team.KEY}} post"])
paths = st.sampled_from(["/etc/app.conf", "/home/devzero/x", "relative/dir", "", "~/x", "/a/$B",
                         "/" + "p" * 300, "/srv/d", "/run/dz/secrets/x"])
users = st.sampled_from(["root", "devzero", "1000", "1000:1000", "nobody", "", "0:0", 5])
oddities = st.sampled_from([None, 0, 3.5, True, [], {}, ["a", 1], {"k": "v"}, "0644", 420])
names = st.sampled_from(["A", "PATH", "TOKEN", "lower_ok", "1BAD", "has space", "", "B"])


def maybe(value_strategy):
    """Usually the right kind of value, sometimes a wrong-typed one."""
    return st.one_of(value_strategy, value_strategy, value_strategy, oddities)


env_var = st.fixed_dictionaries({"name": maybe(names), "value": maybe(words)})
env_list = st.lists(maybe(env_var), max_size=3)
repo = st.fixed_dictionaries(
    {"repository": maybe(st.sampled_from(["https://download.example/apt", "ppa:x/y", ""]))},
    optional={"key_url": maybe(words), "components": maybe(st.lists(words, max_size=2)),
              "distribution": maybe(words)})
credentials = st.fixed_dictionaries({
    "type": maybe(st.sampled_from(["github-token", "ssh-private-key", "password"])),
    "value": maybe(words)})

STEP_FIELDS = {
    "command": ({"command": maybe(words)},
                {"name": maybe(words), "directory": maybe(paths), "user": maybe(users),
                 "shell": maybe(st.sampled_from(["/bin/sh -e {}", "/bin/bash", "{} {}", "'"])),
                 "environment": maybe(env_list),
                 "secret_mounts": maybe(st.lists(st.fixed_dictionaries(
                     {"path": maybe(paths), "value": maybe(words)}), max_size=2))}),
    "file": ({"path": maybe(paths)},
             {"content": maybe(words), "user": maybe(users), "group": maybe(users),
              "permissions": maybe(st.sampled_from(["0644", "rwxr-x---", "999", "rw"]))}),
    "directory": ({"path": maybe(paths)},
                  {"user": maybe(users), "permissions": maybe(st.sampled_from(["0755", "7"]))}),
    "apt-get": ({"packages": maybe(st.lists(st.sampled_from(["curl", "-x", "a b", "p=1"]),
                                            max_size=3))},
                {"name": maybe(words), "extra_repositories": maybe(st.lists(repo, max_size=2))}),
    "git-clone": ({"url": maybe(st.sampled_from(["https://github.com/a/b.git", "git@h:a/b",
                                                 "", "ftp://x"]))},
                  {"branch": maybe(words), "directory": maybe(paths),
                   "credentials": maybe(credentials)}),
}


@st.composite
def steps(draw):
    kind = draw(st.sampled_from([*STEP_FIELDS, "apt", "bogus", None]))
    required, optional = STEP_FIELDS.get(kind, ({}, {}))
    step = draw(st.fixed_dictionaries(required, optional=optional))
    if kind is not None:
        step = {"type": kind, **step}
    if draw(st.integers(0, 15)) == 0:
        step[draw(st.sampled_from(["id", "environment", "extra", "packs"]))] = draw(words)
    return step


phase = st.fixed_dictionaries({}, optional={"environment": maybe(env_list),
                                            "steps": maybe(st.lists(steps(), max_size=4))})
recipes = st.fixed_dictionaries(
    {"version": st.sampled_from(["3", 3, "3", "2", 3.0])},
    optional={
        "build": maybe(phase), "launch": maybe(phase), "environment": maybe(env_list),
        "runtime": maybe(st.fixed_dictionaries({"environment": maybe(env_list)})),
        "image": maybe(st.sampled_from(["127.0.0.1:5000/team-a/app:1", "library/busybox",
                                        "other/app:1", "127.0.0.1:5000/library/x@sha256:" +
                                        "3" * 64])),
        "config": maybe(st.fixed_dictionaries({}, optional={
            "code_clone_root": maybe(paths), "code_clone_credentials": maybe(credentials),
            "volumes": maybe(st.lists(st.fixed_dictionaries(
                {"path": maybe(paths), "sub_path": maybe(words)}), max_size=2))})),
        "packs": st.just([{"name": "Docker"}]),
    })


def check(text: str) -> str:
    """Load and compile; returns the outcome, failing the test on anything but a
    located rejection or a readable Definition."""
    lines = text.count("\n") + 1
    try:
        recipe = load_recipe(text, "fuzz.yaml")
        result = compile_recipe(recipe, INPUTS)
    except RecipeError as exc:
        assert exc.diagnostics, "a rejection without a diagnostic"
        for d in exc.diagnostics:
            assert d.file == "fuzz.yaml" and 1 <= d.line <= lines + 1 and d.col >= 1, d
        assert "fuzz.yaml:" in str(exc)
        return "rejected"
    definition = Definition.from_bytes(result.definition)
    assert len(definition.digests) >= 1 and result.digest
    return "compiled"


OUTCOMES: dict[str, int] = {}


@settings(max_examples=10_000, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(recipes)
def test_ten_thousand_generated_recipes_compile_or_are_rejected_at_a_line(recipe):
    outcome = check(yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True))
    OUTCOMES[outcome] = OUTCOMES.get(outcome, 0) + 1


def test_the_generator_reaches_both_outcomes():
    """The fuzz run above is only worth something if it compiled recipes as well as
    rejecting them (runs after it in file order)."""
    assert OUTCOMES.get("compiled", 0) >= 100, OUTCOMES
    assert OUTCOMES.get("rejected", 0) >= 100, OUTCOMES
