"""Advice for YAML syntax errors caused by unquoted ``{{...}}`` (recipe-spec.md §2).

An unquoted ``{`` starts a flow mapping, and ``: `` inside a plain value starts a
key: quoting only the ``{{...}}`` part does not help when the value starts with
other text (``command: echo "{{...}}"``), the whole value must be quoted.
"""

from __future__ import annotations

import re

GENERIC = "; values containing '{{...}}' must be quoted, e.g. value: \"{{secret:team.NAME}}\""
# ``key: value`` or ``- key: value`` where the value is not already quoted as a whole.
_ENTRY = re.compile(r"(?P<lead>\s*(?:-\s+)*)(?P<key>[^\s#'\"{\[][^:#]*?):[ \t]+(?P<value>.*\S)")


def quote_hint(line: str) -> str:
    """The hint for a syntax error on (or just after) ``line``."""
    match = _ENTRY.fullmatch(line.rstrip())
    if match is None or "{{" not in match["value"] or _quoted_whole(match["value"]):
        return GENERIC
    value = match["value"]
    if "'" not in value:
        quoted = f"'{value}'"
    elif '"' not in value and "\\" not in value:
        quoted = f'"{value}"'
    else:
        quoted = "'" + value.replace("'", "''") + "'"
    return (
        "; values containing '{{...}}' must be quoted as a whole (the quotes go around "
        f"the entire value), e.g. {match['key']}: {quoted}"
    )


def _quoted_whole(value: str) -> bool:
    return len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""


_YAML_ONLY_BREAKS = {
    "\r": "a carriage return",
    "\x85": "U+0085",
    "\u2028": "U+2028",
    "\u2029": "U+2029",
}


def break_hint(line_number: int, line: str) -> str:
    """Name a character that YAML reads as a line break but an editor does not."""
    for char, name in _YAML_ONLY_BREAKS.items():
        if char in line:
            return (
                f"; line {line_number} contains {name}, which YAML reads as a line break; remove it"
            )
    return ""
