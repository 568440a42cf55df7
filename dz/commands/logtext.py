"""The raw log as a terminal should show it: progress lines at their last state.

Tools like apt redraw one line with carriage returns (``\\r``) to show progress.
BuildKit's log keeps such a line whole, every state of it, behind its ``#N t``
prefix; printed as is, the states pile up into one long line (or, in a terminal,
overwrite the prefix).  ``dz logs`` prints the prefix and the line's last state.
"""

from __future__ import annotations

import re

from core.logevents import redrawn_line

# ``#5 `` and the optional seconds offset ``#5 0.312 `` of BuildKit's plain output.
_PREFIX = re.compile(rb"#\d+ (?:\d+\.\d+ )?")


def last_state(line: bytes) -> bytes:
    """One log line (without its newline) with redrawn progress reduced to what shows last,
    behind its ``#N t`` prefix."""
    if b"\r" not in line:
        return line
    prefix = _PREFIX.match(line)
    head = prefix.group(0) if prefix else b""
    return head + redrawn_line(line[len(head):])


class ProgressLines:
    """Applies :func:`last_state` to a byte stream cut into chunks anywhere."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._rest + chunk
        complete, newline, self._rest = data.rpartition(b"\n")
        if not newline:
            return b""
        return b"\n".join(last_state(line) for line in complete.split(b"\n")) + b"\n"

    def flush(self) -> bytes:
        """The last line when the stream did not end with a newline."""
        rest, self._rest = self._rest, b""
        return last_state(rest)
