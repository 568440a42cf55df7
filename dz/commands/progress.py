"""Live build progress like BuildKit's terminal UI: one line per step with a spinner,
its duration or CACHED, and the last lines of the running step's output.

:class:`Board` is a pure model fed with log events (the API's JSON view); ``render``
turns it into a rich renderable.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field

from rich.console import Group
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from dz.commands.logtext import last_state

TAIL_LINES = 6


@dataclass
class Step:
    name: str
    status: str = "running"  # running | done | cached | failed | cancelled | stopped
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    error: str = ""
    moved: str = ""  # bytes and rate, for a step that reports them (the push)


@dataclass
class Board:
    steps: dict[str, Step] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    tail: deque = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    running: str | None = None
    final_state: str | None = None
    last_seq: int = 0

    def feed(self, event: dict) -> None:
        self.last_seq = event["seq"]
        kind = event["kind"]
        if kind == "header":
            self.headers.append(event["data"].rstrip("\n"))
        elif kind == "vertex":
            self._vertex(json.loads(event["data"]))
        elif kind == "log":
            if event["vertex"] and event["vertex"] == self.running:
                # Split on newlines only: a progress line redrawn with \r is one line.
                lines = (last_state(line.encode()).decode()
                         for line in event["data"].split("\n"))
                self.tail.extend(line for line in lines if line.strip())
        elif kind == "end":
            self.final_state = event["data"]
            # A step still running when the build ended was stopped with it: BuildKit
            # sends no vertex update for a solve that is cancelled or timed out.
            for step in self.steps.values():
                if step.status == "running":
                    step.status = "cancelled" if self.final_state == "cancelled" else "stopped"

    def _vertex(self, record: dict) -> None:
        digest, name = record.get("digest", ""), record.get("name", "")
        step = self.steps.setdefault(digest, Step(name))
        kind = record.get("type", "")
        if kind == "vertex.started":
            step.status, step.started = "running", time.monotonic()
            if self.running != digest:
                self.running = digest
                self.tail.clear()
        elif kind == "vertex.cached" or (kind == "vertex.completed" and record.get("cached")):
            step.status = "cached"
        elif kind == "vertex.completed":
            step.status, step.seconds = "done", time.monotonic() - step.started
            if record.get("started") and record.get("completed"):
                step.seconds = _seconds(record["started"], record["completed"], step.seconds)
        elif kind == "vertex.progress":
            step.moved = _moved(record)
        elif kind == "vertex.error":
            step.status, step.error = "failed", record.get("error", "")


def _seconds(start: str, end: str, fallback: float) -> float:
    from datetime import datetime

    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return fallback


def _moved(record: dict) -> str:
    """``12.3 / 41.2 MB, 9.5 MB/s`` from a ``vertex.progress`` record."""
    current, total = record.get("current", 0) / 1e6, record.get("total", 0) / 1e6
    size = f"{current:.1f} / {total:.1f} MB" if total else f"{current:.1f} MB"
    return f"{size}, {record.get('rate_bps', 0) / 1e6:.1f} MB/s"


def render(board: Board):
    table = Table.grid(padding=(0, 1))
    table.add_column(width=2)
    table.add_column()
    table.add_column(justify="right")
    for step in board.steps.values():
        if step.status == "running":
            mark, right = Spinner("dots"), f"{time.monotonic() - step.started:.1f}s"
        elif step.status == "cached":
            mark, right = Text("✔", style="green"), Text("CACHED", style="cyan")
        elif step.status == "failed":
            mark, right = Text("✘", style="red"), Text("ERROR", style="red")
        elif step.status in ("cancelled", "stopped"):
            mark, right = Text("–", style="yellow"), Text(step.status.upper(), style="yellow")
        else:
            mark, right = Text("✔", style="green"), f"{step.seconds or 0:.1f}s"
        name = f"{step.name}  {step.moved}" if step.moved else step.name
        table.add_row(mark, name, right)
    parts = [Text(h, style="dim") for h in board.headers[-3:]] + [table]
    if board.running and board.steps.get(board.running, Step("")).status == "running":
        parts += [Text("  " + line, style="dim") for line in board.tail]
    return Group(*parts)
