"""The comments of a YAML text, by editor line, so a rewrite can carry them over.

PyYAML drops comments, so they are found from its token stream: every line that no
token covers and that starts with ``#`` is a full-line comment, and text after the
last token of a line that starts with ``#`` is a trailing comment. Lines inside a
multi-line scalar (a ``|`` command body, say) are content, never comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from llb.recipe.source import SourceMap

_TRAILING = re.compile(r"\s+(#.*)$")
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*")


@dataclass
class Comments:
    """Full-line comments grouped under the line they precede, trailing ones by line.

    ``take_*`` methods hand each comment out once; :meth:`left` lists what no one took.
    """

    leading: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    trailing: dict[int, str] = field(default_factory=dict)
    content: set[int] = field(default_factory=set)

    def take_leading(self, line: int) -> list[str]:
        return [text for _, text in self.leading.pop(line, [])]

    def take_trailing(self, line: int) -> str | None:
        return self.trailing.pop(line, None)

    def take_range(self, first: int, last: int) -> None:
        """Mark every comment in lines ``first..last`` as carried (copied verbatim)."""
        for anchor in list(self.leading):
            kept = [(n, t) for n, t in self.leading[anchor] if not first <= n <= last]
            if kept:
                self.leading[anchor] = kept
            else:
                del self.leading[anchor]
        for line in [n for n in self.trailing if first <= n <= last]:
            del self.trailing[line]

    def left(self) -> list[tuple[int, str]]:
        """Comments nobody took, as (line, text), in file order."""
        found = [pair for group in self.leading.values() for pair in group]
        found += list(self.trailing.items())
        return sorted(found)


def scan_comments(text: str, source: SourceMap) -> Comments:
    """Every comment of ``text`` (which must already have loaded without errors)."""
    code_end: dict[int, int] = {}  # line -> 0-based column where its last token ends
    comments = Comments()
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        start, end = token.start_mark.index, token.end_mark.index
        if start == end:
            continue  # structural markers take no room on a line
        (sline, scol), (eline, ecol) = source.at_index(start), source.at_index(end)
        if isinstance(token, yaml.ScalarToken) and token.style in ("|", ">"):
            header = _BLOCK_HEADER.match(source.line_text(sline), scol - 1)
            code_end[sline] = header.end() if header else scol
            last = eline if source.line_text(eline)[: ecol - 1].strip() else eline - 1
            comments.content.update(range(sline + 1, last + 1))
            continue
        comments.content.update(range(sline + 1, eline))
        if eline > sline:
            comments.content.add(eline)
        code_end[eline] = max(code_end.get(eline, 0), ecol - 1)
    pending: list[tuple[int, str]] = []
    for number in range(1, len(source.lines) + 1):
        line = source.line_text(number)
        if number in comments.content and number not in code_end:
            continue
        if number not in code_end:
            if line.strip().startswith("#"):
                pending.append((number, line.strip()))
            continue
        if pending:
            comments.leading[number] = pending
            pending = []
        match = _TRAILING.match(line, code_end[number])
        if match:
            comments.trailing[number] = match.group(1)
    if pending:
        comments.leading[0] = pending  # after the last value: anchored to "end of file"
    return comments
