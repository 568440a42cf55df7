"""The reference grammar of recipe-spec.md §7.2."""

from __future__ import annotations

import pytest

from llb.recipe.interpolation import Reference, TemplateError, parse_template


def test_references_with_surrounding_text_and_whitespace():
    template = parse_template(
        "Bearer {{ secret:team.TOKEN }} and {{secret:devzero.GITHUB_GIT_CONFIG}}"
    )
    assert template.parts == (
        "Bearer ",
        Reference("secret", "team", "TOKEN", 7, "{{ secret:team.TOKEN }}"),
        " and ",
        Reference(
            "secret", "devzero", "GITHUB_GIT_CONFIG", 35, "{{secret:devzero.GITHUB_GIT_CONFIG}}"
        ),
    )
    assert [r.key for r in template.references] == ["team.TOKEN", "devzero.GITHUB_GIT_CONFIG"]


def test_legacy_sources_parse_and_are_flagged():
    (ref,) = parse_template("{{\tenv : user.X\t}}").references
    assert (ref.source, ref.key, ref.legacy) == ("env", "user.X", True)


@pytest.mark.parametrize(
    "text",
    [
        "${{ GH_PAT }}",
        "{{ .Values.x }}",
        "{{team.X}}",
        "{{ secret }}",
        "plain",
        "{{secretx:team.A}}",
    ],
)
def test_other_braces_are_literal(text):
    assert parse_template(text).parts == (text,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{secret:team.A || secret:team.B}}", "fallbacks are not supported"),
        ("{{secret:org.A}}", "malformed secret reference"),
        ("x {{secret:team.1A}}", "malformed secret reference"),
        ("{{secret:team.A", "malformed secret reference"),
        ("{{ Secret:team.A}}", None),  # case-sensitive: not a reference at all
    ],
)
def test_malformed_references(text, message):
    if message is None:
        assert parse_template(text).references == ()
        return
    with pytest.raises(TemplateError, match=message):
        parse_template(text)


def test_substitute_merges_plain_values_and_renders_canonical_form():
    template = parse_template("a={{ secret:team.A }};b={{secret:team.B}}")
    partial = template.substitute({"team.A": "1"})
    assert partial.parts[0] == "a=1;b="
    assert partial.render() == "a=1;b={{secret:team.B}}"
