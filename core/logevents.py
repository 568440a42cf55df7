"""Log events of a build and their two views: raw text and structured JSON.

Pure data and functions; :mod:`core.logbus` stores and moves them.  ``data`` is
bytes because BuildKit output is bytes and a chunk may end inside a UTF-8
sequence; the views decode it.
"""

from __future__ import annotations

import base64
import json
import time as _time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# Event kinds.  Only LOG data counts against the per-build byte cap.
LOG = "log"  # output of a vertex (``stream`` is ``stdout`` or ``stderr``), preformatted text
HEADER = "header"  # a pipeline line: "build started", "Fetching secrets for this build..."
VERTEX = "vertex"  # a vertex status change; ``data`` is JSON chosen by the producer
MARKER = "marker"  # written once by the bus when the byte cap is reached
END = "end"  # the last event of every log; ``data`` is the build's final state

_LINE_KINDS = {HEADER, MARKER}


@dataclass(frozen=True)
class Entry:
    """An event to append; the bus assigns its sequence number."""

    kind: str
    data: bytes | str = b""
    vertex: str = ""
    stream: str = ""
    time: float = field(default_factory=_time.time)

    def payload(self) -> bytes:
        return self.data.encode() if isinstance(self.data, str) else bytes(self.data)


@dataclass(frozen=True)
class LogEvent:
    """A stored event: ``seq`` counts from 1 without gaps within a build."""

    seq: int
    time: float
    kind: str
    vertex: str
    stream: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def as_json(self) -> dict[str, object]:
        """The structured view of this event (``data`` decoded, invalid bytes replaced)."""
        return {"seq": self.seq, "time": self.time, "kind": self.kind, "vertex": self.vertex,
                "stream": self.stream, "data": self.text}


def redrawn_line(line: bytes) -> bytes:
    """A terminal line as it ends up on screen.

    Tools such as apt and pip redraw one line with carriage returns to show progress;
    the log keeps every state of it.  What shows last is its last non-blank state.
    """
    if b"\r" not in line:
        return line
    states = [state for state in line.split(b"\r") if state.strip()]
    return states[-1] if states else b""


def raw_chunk(event: LogEvent) -> bytes:
    """The event's part of the raw text view (empty for structured-only kinds).

    LOG data is producer-formatted (BuildKit style, ``#5 0.312 …``) and passed
    through as is; header and marker events are whole lines.
    """
    if event.kind == LOG:
        return event.data
    if event.kind in _LINE_KINDS:
        return event.data if event.data.endswith(b"\n") else event.data + b"\n"
    return b""


def raw_text(events: Iterable[LogEvent]) -> Iterator[bytes]:
    """The raw view: BuildKit-style text, chunk by chunk."""
    for event in events:
        chunk = raw_chunk(event)
        if chunk:
            yield chunk


def json_lines(events: Iterable[LogEvent]) -> Iterator[str]:
    """The structured view: one JSON object per line (NDJSON)."""
    for event in events:
        yield json.dumps(event.as_json(), separators=(",", ":")) + "\n"


def to_archive_line(event: LogEvent) -> bytes:
    """One archive line; lossless (binary data goes base64 under ``data_b64``)."""
    record: dict[str, object] = {"seq": event.seq, "time": event.time, "kind": event.kind,
                                 "vertex": event.vertex, "stream": event.stream}
    try:
        record["data"] = event.data.decode("utf-8")
    except UnicodeDecodeError:
        record["data_b64"] = base64.b64encode(event.data).decode()
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def from_archive_line(line: bytes) -> LogEvent:
    """Inverse of :func:`to_archive_line`."""
    record = json.loads(line)
    if "data_b64" in record:
        data = base64.b64decode(record["data_b64"])
    else:
        data = record["data"].encode("utf-8")
    return LogEvent(seq=int(record["seq"]), time=float(record["time"]), kind=record["kind"],
                    vertex=record["vertex"], stream=record["stream"], data=data)
