"""Property tests: the loader never crashes on arbitrary input, only RecipeError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llb.recipe import RecipeError, load_recipe

yaml_alphabet = st.sampled_from(list("abv3:-{}[]\"' \n\t&*!|>#%@`,?0.~$") + ["{{", "}}", "  "])
yaml_ish = st.lists(yaml_alphabet, max_size=80).map("".join)


def _load(text: str) -> None:
    try:
        load_recipe(text, "fuzz.yaml")
    except RecipeError as exc:
        assert exc.diagnostics and all(d.line >= 1 and d.col >= 1 for d in exc.diagnostics)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_ish)
def test_random_yaml_never_crashes(text):
    _load(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes(text):
    _load('version: "3"\n' + text)


def test_billion_laughs_is_rejected_at_the_first_anchor():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    try:
        load_recipe("\n".join(lines), "bomb.yaml")
    except RecipeError as exc:
        assert "anchors and aliases are not supported" in exc.diagnostics[0].message
    else:
        raise AssertionError("accepted a YAML bomb")


def test_deep_nesting_and_huge_documents_are_rejected():
    for text, message in [
        ("a: " + "[" * 100_000, "nests deeper than"),
        ("a: '" + "x" * 600_000 + "'", "bytes; at most"),
        ("a: [" + "1," * 60_000 + "1]", "more than"),
    ]:
        try:
            load_recipe(text, "big.yaml")
        except RecipeError as exc:
            assert message in exc.diagnostics[0].message
        else:
            raise AssertionError(f"accepted {message}")
