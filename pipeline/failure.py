"""What a user reads when a recipe step fails: the step, its exit code, its last output.

BuildKit's error for a failed exec names the op's command line, which for a recipe
step is the launcher and its encoded payload: kilobytes of base64 that say nothing
about the cause.  The build's error is made here instead, from the plan's step (its
name and recipe line), the exit code and the last lines the step printed, as the
solve streamed them (:class:`OutputTail`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from buildkit.progress import Event, LogChunk
from core.logevents import redrawn_line
from llb import StepInfo
from pipeline.secrets import redact

#: Output lines of a failed step its error quotes.
TAIL_LINES = 10
#: A quoted line is cut to this many characters (a runaway line must not be the error).
LINE_CHARS = 300
# An unfinished line is kept only up to this many bytes while it waits for its newline.
_PARTIAL_BYTES = 4 * LINE_CHARS


class OutputTail:
    """The last output lines of every vertex (both streams), fed with progress events.

    Only the newest lines of each chunk are looked at, so a step printing fast costs
    the solve's status thread little.
    """

    def __init__(self, size: int = TAIL_LINES) -> None:
        self.size = size
        self._lines: dict[str, deque[bytes]] = {}
        self._partial: dict[tuple[str, int], bytes] = {}
        self._lock = threading.Lock()

    def feed(self, event: Event) -> None:
        if not isinstance(event, LogChunk):
            return
        key = (event.vertex, event.stream)
        with self._lock:
            data = self._partial.pop(key, b"") + event.data
            parts = data.rsplit(b"\n", self.size)
            rest = parts.pop()
            if len(parts) == self.size and b"\n" in parts[0]:
                parts[0] = parts[0].rsplit(b"\n", 1)[-1]  # older lines fell out anyway
            if rest:
                self._partial[key] = rest[-_PARTIAL_BYTES:]
            tail = self._lines.setdefault(event.vertex, deque(maxlen=self.size))
            tail.extend(line for line in map(redrawn_line, parts) if line.strip())

    def lines(self, vertex: str, redactions: Iterable[bytes] = ()) -> list[str]:
        """The vertex's last lines, an unfinished one included, secret values masked."""
        redactions = list(redactions)
        with self._lock:
            lines = list(self._lines.get(vertex, ()))
            for (digest, _stream), rest in self._partial.items():
                if digest == vertex and redrawn_line(rest).strip():
                    lines.append(redrawn_line(rest))
        return [_text(redact(line, redactions)) for line in lines[-self.size:]]


def _text(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace")
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 1] + "…"


def step_failure(step: StepInfo | None, vertex_name: str, line: int | None,
                 exit_code: int | None, reason: str, output: list[str]) -> str:
    """The error of a build whose step failed.

    Args:
        step: the plan's step the failing vertex belongs to, if it is a recipe step.
        vertex_name: the vertex's name, for a vertex that is no recipe step.
        line: the step's recipe line, if known.
        exit_code: the step's exit status, when a process failed.
        reason: BuildKit's error, for a failure that is no exit status.
        output: the step's last output lines.
    """
    name = (step.name if step and step.name else vertex_name) or "a step"
    where = f" at recipe line {line}" if line else ""
    head = f"step {name} failed{where}"
    head += f" with exit code {exit_code}" if exit_code is not None else f": {reason}"
    if not output:
        return head
    return "\n".join([head, "last output:", *(f"  {text}" for text in output)])
