"""Where every value of a loaded recipe was written: the recipe's source map.

Paths are tuples of mapping keys and list indexes, e.g. ``("build", "steps", 2, "path")``.
The YAML loader records, for each path, the position of its value and (for mapping
entries) of its key, the end of the value, and the exact text of plain scalars, so
that later stages can point at the recipe line and keep numbers as written.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from llb.recipe.diagnostics import Diagnostic, Severity

Path = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column, as an editor counts them

# Line breaks to YAML only (a CR not followed by LF, NEL, LS, PS).
_YAML_ONLY_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
# Characters a terminal would not show as one column in a snippet: control characters,
# the line breaks only YAML knows (bare CR, NEL, U+2028/9) and undecodable bytes
# (lone surrogates from ``surrogateescape``).
_UNSHOWABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def dotted(path: Path) -> str:
    """``("build", "steps", 2, "path")`` -> ``build.steps[2].path`` (root: ``recipe``)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "recipe"


@functools.lru_cache(maxsize=4)
def _line_starts(text: str) -> list[int]:
    """Index of the first character of every editor line (only for the rare slow path)."""
    return [0, *(match.end() for match in re.finditer("\n", text))]


@dataclass
class SourceMap:
    """Positions of the values of one recipe document."""

    file: str
    lines: list[str]
    text: str = ""
    yaml_lines_agree: bool = True  # no line break that only YAML sees
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    ends: dict[Path, Position] = field(default_factory=dict)
    plain_text: dict[Path, str] = field(default_factory=dict)

    @classmethod
    def for_text(cls, file: str, text: str) -> SourceMap:
        """Lines as an editor shows them: only LF (or CRLF) ends a line.

        YAML also breaks lines at a bare CR, NEL, U+2028 and U+2029, so its own
        line numbers drift from the editor's; positions go through :meth:`at_mark`.
        """
        lines = text.split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()  # the newline ends the last line; no empty line after it
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        agree = _YAML_ONLY_BREAK.search(text) is None
        return cls(file=file, lines=lines, text=text, yaml_lines_agree=agree)

    def at_mark(self, mark: Any) -> Position:
        """The editor position of a YAML mark (``line``/``column`` 0-based, ``index``)."""
        if self.yaml_lines_agree:
            return self._shown(mark.line + 1, mark.column + 1)  # the usual, cheap case
        return self.at_index(mark.index)

    def at_index(self, index: int) -> Position:
        """The editor position of the character at ``index`` of the text."""
        starts = _line_starts(self.text)
        index = max(0, min(index, len(self.text)))
        line = bisect.bisect_right(starts, index)
        return self._shown(line, index - starts[line - 1] + 1)

    def _shown(self, line: int, col: int) -> Position:
        """``line``/``col``, clamped so that every position has a line to show.

        A position in the blank tail of the text (an error at the end of the file)
        moves to the end of the last line with content.
        """
        if line <= len(self.lines) and (line < len(self.lines) or self.lines[-1].strip()):
            return line, min(col, len(self.lines[line - 1]) + 1)
        last = max(len(self.lines), 1)
        while last > 1 and not self.line_text(last).strip():
            last -= 1
        return last, len(self.line_text(last)) + 1

    def position(self, path: Path, *, at_key: bool = False) -> Position:
        """The position of ``path`` (its key if ``at_key``), else of its nearest ancestor."""
        probe = tuple(path)
        while True:
            if at_key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if probe in self.keys:
                return self.keys[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def line_range(self, path: Path) -> tuple[int, int]:
        """First and last line of the value at ``path`` (1-based, inclusive).

        A block collection ends where the next item starts, so trailing blank,
        comment and indentation-only positions are trimmed off the end.
        """
        start = self.position(path, at_key=True)[0]
        line, col = self.ends.get(tuple(path), (start, 1))
        before = self.line_text(line)[: col - 1].strip()
        if before in ("", "-"):
            line -= 1
        while line > start and self.line_text(line).strip()[:1] in ("", "#"):
            line -= 1
        return start, max(line, start)

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def snippet(self, line: int) -> str:
        """The line for a caret snippet: one visible character per column."""
        return _UNSHOWABLE.sub("\ufffd", self.line_text(line))

    def diag(
        self,
        path: Path,
        message: str,
        *,
        severity: Severity = "error",
        at_key: bool = False,
        position: Position | None = None,
    ) -> Diagnostic:
        """A diagnostic for ``path`` located from this map."""
        line, col = position or self.position(path, at_key=at_key)
        return Diagnostic(
            file=self.file,
            line=line,
            col=col,
            path=dotted(path),
            message=message,
            severity=severity,
            source_line=self.snippet(line),
        )
