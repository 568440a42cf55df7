"""A small block-style YAML writer that carries comments along.

``dz migrate`` re-emits a recipe in a new shape; PyYAML's dumper would lose every
comment and restyle command bodies. This writer emits block mappings and lists,
``|`` block scalars for multi-line text (so command bodies read as written), plain
scalars where YAML reads them back unchanged, and double quotes otherwise. Each
value may name the source line it came from: the comments above that line and at
its end are written with it.
"""

from __future__ import annotations

import re

from llb.recipe.legacy_comments import Comments
from llb.recipe.yaml_loader import plain_scalar

# Characters a plain scalar may not start with, and sequences it may not contain.
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_BREAKERS = re.compile(r": |:$| #|[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_UNSAFE_IN_COMMENT = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (escapes only what YAML needs)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " " or "\x7f" <= ch <= "\x9f" or ch in "\u2028\u2029\ufeff":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def inline(value: object) -> str:
    """A scalar (or a list of scalars) on one line."""
    if isinstance(value, list):
        return "[" + ", ".join(_flow_item(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    plain = (
        text
        and text[0] not in _INDICATORS
        and text == text.strip()
        and not _PLAIN_BREAKERS.search(text)
        and plain_scalar(text) == text
    )
    return text if plain else quoted(text)


def _flow_item(value: object) -> str:
    # Inside [...] a plain scalar also ends at these characters.
    text = inline(value)
    if isinstance(value, str) and not text.startswith('"') and any(c in text for c in ",[]{}"):
        return quoted(value)
    return text


def _block_lines(text: str) -> tuple[str, list[str]] | None:
    """``(header, lines)`` of a ``|`` block scalar holding ``text``, or None if it can't."""
    if "\n" not in text.rstrip("\n") or text[:1] in (" ", "\t") or _bad_in_block(text):
        return None
    if text.endswith("\n\n"):
        return "|+", text[:-1].split("\n")
    if text.endswith("\n"):
        return "|", text[:-1].split("\n")
    return "|-", text.split("\n")


def _bad_in_block(text: str) -> bool:
    # YAML reads these as line breaks or refuses them unescaped: only quotes can carry them.
    return any(
        ch in "\r\u2028\u2029\ufeff" or (ch < " " and ch not in "\t\n") or "\x7f" <= ch <= "\x9f"
        for ch in text
    )


class Writer:
    """Collects output lines; ``indent`` arguments count spaces."""

    def __init__(self, comments: Comments):
        self.lines: list[str] = []
        self.comments = comments

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def comment(self, indent: int, text: str) -> None:
        # A comment ends at any line break YAML knows, and YAML refuses control characters.
        text = _UNSAFE_IN_COMMENT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        self.lines.append(" " * indent + (text if text.startswith("#") else "# " + text))

    def leading(self, indent: int, line: int | None) -> None:
        """The full-line comments written above source line ``line``."""
        if line is not None:
            for text in self.comments.take_leading(line):
                self.comment(indent, text)

    def _end(self, line: int | None) -> None:
        trailing = self.comments.take_trailing(line) if line is not None else None
        if trailing:
            self.lines[-1] += "  " + trailing

    def key(self, indent: int, key: str, line: int | None = None, dash: bool = False) -> None:
        """``key:`` opening a nested mapping or list."""
        self.leading(indent, line)
        self.lines.append(" " * indent + ("- " if dash else "") + f"{key}:")
        self._end(line)

    def entry(
        self, indent: int, key: str, value: object, line: int | None = None, dash: bool = False
    ) -> None:
        """``key: value`` at ``indent`` (``- key: value`` when ``dash``), any value shape."""
        self.leading(indent, line)
        prefix = " " * indent + ("- " if dash else "")
        inner = indent + 2 if dash else indent
        block = _block_lines(value) if isinstance(value, str) else None
        if block:
            header, body = block
            self.lines.append(f"{prefix}{key}: {header}")
            self._end(line)
            self.lines.extend(" " * (inner + 2) + part if part else "" for part in body)
        elif isinstance(value, dict) and value:
            self.lines.append(f"{prefix}{key}:")
            self._end(line)
            self.mapping(inner + 2, value)
        elif isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
            self.lines.append(f"{prefix}{key}:")
            self._end(line)
            for item in value:
                self.item(inner + 2, item)
        else:
            self.lines.append(f"{prefix}{key}: {inline(value)}")
            self._end(line)

    def mapping(self, indent: int, value: dict, dash: bool = False) -> None:
        for index, (key, item) in enumerate(value.items()):
            self.entry(indent, key, item, dash=dash and index == 0)

    def item(self, indent: int, value: object) -> None:
        """One list item: a mapping (``- k: v`` then aligned keys) or a scalar."""
        if isinstance(value, dict) and value:
            for index, (key, item) in enumerate(value.items()):
                self.entry(indent + (2 if index else 0), key, item, dash=index == 0)
        else:
            self.lines.append(" " * indent + "- " + inline(value))
