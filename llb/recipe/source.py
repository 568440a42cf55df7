"""Where every value of a loaded recipe was written: the recipe's source map.

Paths are tuples of mapping keys and list indexes, e.g. ``("build", "steps", 2, "path")``.
The YAML loader records, for each path, the position of its value and (for mapping
entries) of its key, the end of the value, and the exact text of plain scalars, so
that later stages can point at the recipe line and keep numbers as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llb.recipe.diagnostics import Diagnostic, Severity

Path = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column


def dotted(path: Path) -> str:
    """``("build", "steps", 2, "path")`` -> ``build.steps[2].path`` (root: ``recipe``)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "recipe"


@dataclass
class SourceMap:
    """Positions of the values of one recipe document."""

    file: str
    lines: list[str]
    text: str = ""
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    ends: dict[Path, Position] = field(default_factory=dict)
    plain_text: dict[Path, str] = field(default_factory=dict)

    @classmethod
    def for_text(cls, file: str, text: str) -> SourceMap:
        return cls(file=file, lines=text.splitlines(), text=text)

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
            source_line=self.line_text(line),
        )
