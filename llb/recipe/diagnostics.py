"""Diagnostics: one problem in a recipe, located by file, line and column.

Every stage of loading (YAML syntax, schema, semantic rules, compile-time checks
against the team's names) reports problems as :class:`Diagnostic` values so they
can be collected and shown together, each with a caret snippet of the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One located problem.

    Attributes:
        file: the recipe's file name as given to the loader.
        line: 1-based line.
        col: 1-based column.
        path: dotted path of the offending value, e.g. ``build.steps[2].permissions``.
        message: what is wrong and, where possible, how to fix it.
        severity: ``error`` or ``warning``.
        source_line: the text of the line, for the caret snippet ("" when unknown).
    """

    file: str
    line: int
    col: int
    path: str
    message: str
    severity: Severity = "error"
    source_line: str = field(default="", compare=False)

    def headline(self) -> str:
        """``<file>:<line>:<col>: <path>: <message>`` (warnings say so)."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.col}: {self.path}: {prefix}{self.message}"

    def render(self) -> str:
        """The headline followed by the source line and a caret under the column."""
        if not self.source_line:
            return self.headline()
        gutter = f"{self.line:>5} | "
        caret = " " * (len(gutter) + max(self.col - 1, 0)) + "^"
        return f"{self.headline()}\n{gutter}{self.source_line}\n{caret}"

    def as_dict(self) -> dict:
        """A JSON-friendly form (API responses, ``dz compile --json``)."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }


def sort_key(diag: Diagnostic) -> tuple:
    return (diag.line, diag.col, diag.path, diag.message)


class RecipeError(Exception):
    """A recipe was rejected; ``diagnostics`` holds every error found (sorted by line)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=sort_key)
        super().__init__(self.render())

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def render(self) -> str:
        """All diagnostics with snippets, one block per problem."""
        return "\n".join(d.render() for d in self.diagnostics)
