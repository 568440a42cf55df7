"""Property: random valid recipes load and compile to identical bytes every time."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llb import TeamNames, compile_recipe, load_recipe
from tests.llb.compile_helpers import inputs

names = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda n: not n.startswith("DEVZERO_")
)
words = st.text(st.sampled_from("abcxyz019 -_./$\"'"), min_size=1, max_size=20).filter(str.strip)
paths = (
    st.lists(st.from_regex(r"[a-z0-9_.-]{1,8}", fullmatch=True), min_size=1, max_size=3)
    .map(lambda parts: "/" + "/".join(parts))
    .filter(lambda p: "/." not in p)
)
refs = st.sampled_from(["team.TOKEN", "team.URL", "devzero.GITHUB_ACCESS_TOKEN"]).map(
    lambda key: "{{secret:" + key + "}}"
)
values = st.one_of(words, refs, st.builds(lambda a, r: a + r, words, refs))
env = st.lists(
    st.fixed_dictionaries({"name": names, "value": values}),
    max_size=3,
    unique_by=lambda e: e["name"],
)
command = st.fixed_dictionaries(
    {"type": st.just("command"), "command": words},
    optional={
        "user": st.sampled_from(["root", "devzero"]),
        "directory": paths,
        "environment": env,
        "name": words,
    },
)
file_step = st.fixed_dictionaries(
    {"type": st.just("file"), "path": paths},
    optional={
        "content": values,
        "permissions": st.sampled_from(["0644", "rwxr-x---", "600"]),
        "user": st.sampled_from(["root", "devzero"]),
    },
)
directory = st.fixed_dictionaries({"type": st.just("directory"), "path": paths})
apt = st.fixed_dictionaries(
    {
        "type": st.just("apt-get"),
        "packages": st.lists(
            st.from_regex(r"[a-z][a-z0-9.+]{0,8}", fullmatch=True), min_size=1, max_size=3
        ),
    }
)
clone = st.fixed_dictionaries(
    {
        "type": st.just("git-clone"),
        "url": st.sampled_from(["https://github.com/o/r", "https://example.com/x.git"]),
    },
    optional={"branch": st.sampled_from(["main", "v1"])},
)
steps = st.lists(st.one_of(command, file_step, directory, apt, clone), max_size=6)
recipes = st.fixed_dictionaries(
    {"version": st.sampled_from(["3", 3])},
    optional={
        "environment": env,
        "build": st.fixed_dictionaries({"steps": steps}, optional={"environment": env}),
        "launch": st.fixed_dictionaries({"steps": steps}, optional={"environment": env}),
        "runtime": st.fixed_dictionaries({"environment": env}),
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes, st.sampled_from(["host", "none", "unset"]))
def test_random_recipes_compile_deterministically(data, network):
    text = yaml.safe_dump(data, sort_keys=False)
    team = TeamNames(variables={"URL": "https://x"}, secrets={"TOKEN": "2"})
    first = compile_recipe(load_recipe(text, "r.yaml"), inputs(team, network_mode=network))
    second = compile_recipe(load_recipe(text, "r.yaml"), inputs(team, network_mode=network))
    assert first.definition == second.definition
    assert first.image_config == second.image_config
    assert [s.digest for s in first.steps] == [s.digest for s in second.steps]
    build = (data.get("build") or {}).get("steps") or []
    assert len([s for s in first.steps if s.phase == "build"]) == len(build)
