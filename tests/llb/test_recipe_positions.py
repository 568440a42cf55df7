"""Positions are an editor's: only LF and CRLF end a line, and every error has a snippet."""

from __future__ import annotations

import pytest

from llb.recipe import RecipeError, load_recipe

STEPS = 'version: "3"\nbuild:\n  steps:\n'
BAD_STEP = "    - type: apt\n"


def only_error(text: str | bytes):
    with pytest.raises(RecipeError) as info:
        load_recipe(text, "r.yaml")
    (diag,) = info.value.diagnostics
    return diag


@pytest.mark.parametrize("char", ["\r", "\x85", "\u2028", "\u2029"])
def test_yaml_only_line_breaks_do_not_shift_lines(char):
    # one editor line, two YAML lines (so the second is indented like a line of the script)
    text = STEPS + f"    - type: command\n      command: |\n        echo a{char}        echo b\n"
    text += BAD_STEP
    diag = only_error(text)
    assert (diag.line, diag.col) == (7, 13)
    assert diag.source_line == "    - type: apt"


@pytest.mark.parametrize("char", ["\r", "\x85", "\u2028", "\u2029"])
def test_syntax_error_after_a_yaml_only_line_break_is_located_and_explained(char):
    diag = only_error(f'version: "3"\n# note{char}more\nbuild:\n')
    assert diag.line in (2, 3)
    assert diag.source_line
    assert "line 2 contains" in diag.message and "which YAML reads as a line break" in diag.message


def test_step_line_ranges_are_editor_lines():
    text = STEPS + (
        "    - type: command\n      command: |\n        echo a\u2028        echo b\n"
        "    - type: directory\n      path: /x\n"
    )
    recipe = load_recipe(text, "r.yaml")
    assert recipe.source.line_range(("build", "steps", 0)) == (4, 6)
    assert recipe.source.line_range(("build", "steps", 1)) == (7, 8)


def test_bytes_that_are_not_utf8_get_a_line_and_column():
    diag = only_error(b'version: "3"\nbuild:\n  # caf\xe9 au lait\n')
    assert (diag.line, diag.col) == (3, 8)
    assert diag.message == "byte 0xE9 is not UTF-8 text; save the recipe as UTF-8"
    assert diag.source_line == "  # caf\ufffd au lait"
    assert "position" not in diag.render()


def test_utf8_bytes_load_like_text():
    recipe = load_recipe(
        'version: "3"\nbuild:\n  steps:\n    - {type: directory, path: /café}\n'.encode(), "r.yaml"
    )
    assert recipe.build_steps()[0].path == "/café"


@pytest.mark.parametrize(
    ("char", "message"),
    [
        ("\x0c", "character U+000C is not allowed in a recipe (control character)"),
        ("\ud800", "character U+D800 (a lone surrogate) is not valid text"),
    ],
)
def test_unreadable_characters_are_located(char, message):
    diag = only_error(f'version: "3"\nbuild:\n  é: "a{char}"\n')
    assert (diag.line, diag.col, diag.message) == (3, 8, message)
    assert diag.source_line == '  é: "a\ufffd"'


def test_an_error_at_the_end_of_the_file_has_a_snippet():
    diag = only_error('version: "3"\nbuild: [\n')
    assert (diag.line, diag.col, diag.source_line) == (2, 9, "build: [")
    assert diag.render().splitlines()[1] == "    2 | build: ["


def test_an_error_in_blank_trailing_lines_points_at_the_last_line_with_content():
    diag = only_error('version: "3"\nbuild:\n  steps:\n    - "x\n\n\n')
    assert (diag.line, diag.col, diag.source_line) == (4, 9, '    - "x')
