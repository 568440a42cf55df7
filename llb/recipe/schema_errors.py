"""Turn pydantic's validation errors into located, readable diagnostics.

pydantic locates errors by model path; for tagged unions it inserts the tag
(``build.steps.0.file.path``). The location is mapped back onto the data path, and
the generic messages are replaced by the project's wording: ``missing required key``,
``unknown key ... did you mean``, ``unknown step type ... did you mean``.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from llb.recipe.diagnostics import Diagnostic
from llb.recipe.shape import unwrap
from llb.recipe.source import Path, SourceMap, dotted
from llb.recipe.steps import STEP_TYPES

_TYPE_HINTS = {
    "apt": "apt-get",
    "git": "git-clone",
    "run": "command",
    "shell": "command",
    "dir": "directory",
    "mkdir": "directory",
}
_KEY_HINTS = {
    "from_secret": 'secret keys were replaced; write value: "{{secret:team.NAME}}"',
    "uid": "use 'user' instead of 'uid'",
    "gid": "use 'group' instead of 'gid'",
    "env": "'env' was renamed 'environment'",
    "dir": "use 'directory' instead of 'dir'",
    "id": "step ids are assigned by the compiler; remove 'id'",
}
_EXPECTED = {
    "string_type": "expected a string",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "bool_type": "expected true or false",
    "int_type": "expected an integer",
    "too_short": "must not be empty",
}


def _walk(root: type[BaseModel], loc: tuple, data: Any) -> tuple[Path, Any]:
    """Map a pydantic ``loc`` onto the data path and the model found at its parent."""
    path: list[str | int] = []
    node: Any = root
    for part in loc[:-1] if loc else ():
        if node is STEP_TYPES and isinstance(part, str) and part in STEP_TYPES:
            node = STEP_TYPES[part]
            continue
        path.append(part)
        if isinstance(part, int):
            continue
        if isinstance(node, type) and issubclass(node, BaseModel) and part in node.model_fields:
            node = unwrap(node.model_fields[part].annotation)
        else:
            node = None
    if loc:
        last = loc[-1]
        if not (node is STEP_TYPES and last in STEP_TYPES):
            path.append(last)
    return tuple(path), node


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == word.lower()]
    return f"; did you mean '{close[0]}'?" if close else ""


def _unknown_key(path: Path, parent: Any) -> str:
    key = str(path[-1])
    where = dotted(path[:-1]) if path[:-1] else "the recipe"
    if key == "image" and path[:-1] == ("config",):
        return "'image' belongs at the top level of the recipe"
    if key == "environment" and isinstance(parent, type) and parent in STEP_TYPES.values():
        return "'environment' is only allowed on command steps"
    if key in _KEY_HINTS:
        return f"unknown key '{key}' in {where}; {_KEY_HINTS[key]}"
    fields = (
        list(parent.model_fields)
        if isinstance(parent, type) and issubclass(parent, BaseModel)
        else []
    )
    return f"unknown key '{key}' in {where}" + _suggest(key, fields)


def _message(err: dict, path: Path, parent: Any) -> tuple[str, bool]:
    """The message and whether it should point at the key rather than the value."""
    kind = err["type"]
    if kind == "missing":
        return f"missing required key '{path[-1]}'", False
    if kind == "extra_forbidden":
        return _unknown_key(path, parent), True
    if kind == "union_tag_not_found":
        return "missing step 'type'; expected one of " + ", ".join(STEP_TYPES), False
    if kind == "union_tag_invalid":
        tag = str(err["ctx"]["tag"])
        hint = _TYPE_HINTS.get(tag)
        suffix = f"; did you mean '{hint}'?" if hint else _suggest(tag, list(STEP_TYPES))
        return f"unknown step type '{tag}'" + (
            suffix or "; expected one of " + ", ".join(STEP_TYPES)
        ), False
    if kind == "literal_error" and path[-1:] == ("type",):
        return f"invalid credentials type; expected {err['ctx']['expected']}", False
    if kind == "recipe":
        return err["msg"], False
    if kind in _EXPECTED:
        return _EXPECTED[kind], False
    return err["msg"], False


def translate(
    exc: ValidationError, root: type[BaseModel], data: Any, source: SourceMap
) -> list[Diagnostic]:
    """Every pydantic error of ``exc`` as a located diagnostic."""
    diags = []
    for err in exc.errors():
        path, parent = _walk(root, tuple(err["loc"]), data)
        message, at_key = _message(err, path, parent)
        target = {"missing": path[:-1], "union_tag_invalid": path + ("type",)}.get(
            err["type"], path
        )
        position = source.position(target, at_key=at_key)
        diags.append(source.diag(path, message, at_key=at_key, position=position))
    return diags
