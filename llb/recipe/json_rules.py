r"""The string rules of ``fields.py`` restated for the JSON Schema (``pattern``).

Editors validate recipes with the schema, so each rule the code checks on a
string's content is also written here as a regular expression, attached to the
same annotated type. The expressions use only syntax that means the same in
ECMA-262 (editors) and Python's ``re`` (the tests): no ``$`` (Python lets it
match before a final newline) and explicit whitespace classes (``\s`` differs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic_core import CoreSchema

END = r"(?![\s\S])"
# Python's str.isspace() set, which str.strip() and the code's \s use.
_WS = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_OPENER = r"\{\{[ \t]*(?:secret|env|var)[ \t]*:"
_REFERENCE = (
    r"\{\{[ \t]*(?:secret|env|var)[ \t]*:[ \t]*(?:user|team|devzero)\."
    r"[A-Za-z_][A-Za-z0-9_]*[ \t]*\}\}"
)

NO_REFERENCE = rf"^(?![\s\S]*{_OPENER})"
TEMPLATE = rf"^(?:(?!{_OPENER})[\s\S]|{_REFERENCE})*{END}"
NOT_EMPTY = rf"[^{_WS}]"
ENV_NAME = rf"^(?!DEVZERO_)[A-Za-z_][A-Za-z0-9_]*{END}"
USER_NAME = rf"^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?{END}"
PERMISSIONS = rf"^(?:[0-7]{{3,4}}|(?:[r-][w-][x-]){{3}}){END}"
SUB_PATH = rf"^[A-Za-z0-9._-]+{END}"
PACKAGE = rf"^[^{_WS}-][^{_WS}]*{END}"
PATH = rf"^(?!~)[^\x00$]*{END}"
ABSOLUTE = r"^/"
SHELL = r"\{\}"


@dataclass(frozen=True)
class JsonRules:
    """Annotation metadata adding ``patterns`` (all must match) and ``keys`` to the schema."""

    patterns: tuple[str, ...] = ()
    keys: tuple[tuple[str, Any], ...] = ()

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema = dict(handler(core_schema))
        patterns = [*([schema.pop("pattern")] if "pattern" in schema else []), *self.patterns]
        if len(patterns) == 1:
            schema["pattern"] = patterns[0]
        elif patterns:
            schema["allOf"] = [*schema.get("allOf", []), *({"pattern": p} for p in patterns)]
        schema.update(self.keys)
        return schema


@dataclass(frozen=True)
class OrScalar:
    """Annotation metadata: numbers and booleans are accepted besides the string.

    The loader turns them into the text written (recipe-spec.md §7, scalar
    values), so ``value: 3000`` is valid and the schema must say so.
    """

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"anyOf": [handler(core_schema), {"type": "number"}, {"type": "boolean"}]}


def rules(*patterns: str, **keys: Any) -> JsonRules:
    return JsonRules(patterns, tuple(keys.items()))
