"""The ``{{secret:<namespace>.<NAME>}}`` interpolation grammar (recipe-spec.md §7.2).

``parse_template`` splits a string into literal text and :class:`Reference` parts.
Text that starts like a reference (``{{`` + ``secret``/``env``/``var`` + ``:``) but does
not complete one is an error; any other ``{{...}}`` (Go/Jinja templates, ``${{ X }}``)
stays literal. There is no escape syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMESPACES = ("user", "team", "devzero")
SOURCES = ("secret", "env", "var")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_REFERENCE = re.compile(
    r"\{\{[ \t]*(?P<source>secret|env|var)[ \t]*:[ \t]*"
    r"(?P<namespace>user|team|devzero)\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}"
)
# "{{" + source + ":" starts something meant as a reference.
_OPENER = re.compile(r"\{\{[ \t]*(?:secret|env|var)[ \t]*:")


class TemplateError(ValueError):
    """A malformed reference; ``offset`` is where it starts in the text."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Reference:
    """One parsed reference, e.g. ``{{ secret:team.NPM_KEY }}``.

    Attributes:
        source: ``secret`` or a legacy alias ``env``/``var``.
        namespace: ``user``, ``team`` or ``devzero``.
        name: the variable's name.
        offset: index of ``{{`` in the text.
        text: the reference as written.
    """

    source: str
    namespace: str
    name: str
    offset: int
    text: str

    @property
    def key(self) -> str:
        """The canonical id ``<namespace>.<NAME>`` (secret mount id, payload key)."""
        return f"{self.namespace}.{self.name}"

    @property
    def legacy(self) -> bool:
        return self.source != "secret"


@dataclass(frozen=True)
class Template:
    """A string split into literal ``str`` parts and :class:`Reference` parts."""

    parts: tuple[str | Reference, ...]

    @property
    def references(self) -> tuple[Reference, ...]:
        return tuple(p for p in self.parts if isinstance(p, Reference))

    def substitute(self, values: dict[str, str]) -> Template:
        """Replace references whose key is in ``values`` by that text."""
        parts: list[str | Reference] = []
        for part in self.parts:
            if isinstance(part, Reference) and part.key in values:
                part = values[part.key]
            if isinstance(part, str) and parts and isinstance(parts[-1], str):
                parts[-1] += part
            elif part != "":
                parts.append(part)
        return Template(tuple(parts))

    def render(self) -> str:
        """The text with every remaining reference in canonical ``{{secret:ns.NAME}}`` form."""
        return "".join(p if isinstance(p, str) else "{{secret:" + p.key + "}}" for p in self.parts)


def parse_template(text: str) -> Template:
    """Parse ``text`` into literal and reference parts.

    Raises:
        TemplateError: ``malformed secret reference`` or ``fallbacks are not supported``.
    """
    parts: list[str | Reference] = []
    pos = 0
    for opener in _OPENER.finditer(text):
        start = opener.start()
        if start < pos:
            continue
        match = _REFERENCE.match(text, start)
        if match is None:
            raise _malformed(text, start)
        if start > pos:
            parts.append(text[pos:start])
        parts.append(
            Reference(match["source"], match["namespace"], match["name"], start, match.group(0))
        )
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(tuple(parts))


def _malformed(text: str, start: int) -> TemplateError:
    end = text.find("}}", start)
    snippet = text[start : end + 2] if end != -1 else text[start : start + 40]
    if "||" in snippet:
        return TemplateError(f"fallbacks are not supported in secret references: {snippet}", start)
    return TemplateError(
        f"malformed secret reference {snippet!r}; expected "
        "{{secret:<user|team|devzero>.<NAME>}}",
        start,
    )


def starts_reference(text: str) -> bool:
    """Whether ``text`` holds anything written as a reference, well formed or not.

    Fields that do not expand references reject this (docs/design.md, "Secret
    references"): a malformed reference there is as misplaced as a valid one.
    """
    return _OPENER.search(text) is not None


def find_references(text: str) -> list[Reference]:
    """Valid references in ``text``."""
    return [
        Reference(m["source"], m["namespace"], m["name"], m.start(), m.group(0))
        for m in _REFERENCE.finditer(text)
    ]
