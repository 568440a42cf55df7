"""Render progress events as BuildKit-style plain text or as JSON records.

Plain text follows ``buildctl --progress=plain``::

    #3 [build 1/4] apt-get install curl
    #3 0.123 Reading package lists...
    #3 DONE 0.4s

    #4 [build 2/4] echo hi
    #4 CACHED
"""

from __future__ import annotations

import base64
from datetime import datetime

from buildkit.progress import (
    Event,
    LogChunk,
    Progress,
    PushProgress,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexProgress,
    VertexStarted,
)

#: Seconds between two lines of one sub-task's byte progress (a layer being pulled).
PROGRESS_EVERY_S = 1.0
#: Longest unfinished line held back waiting for its newline.
MAX_PARTIAL_LINE = 64 * 1024


class PlainRenderer:
    """Stateful plain-text renderer: numbers vertexes in order of appearance."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._starts: dict[str, datetime | None] = {}
        self._names: dict[str, str] = {}
        # BuildKit cuts output into chunks anywhere, even inside a line or a UTF-8
        # character; the unfinished end of each (vertex, stream) waits here for its
        # newline, as BuildKit's own printer does, so a line is never printed in pieces.
        self._partial: dict[tuple[str, int], bytes] = {}
        # Sub-tasks of vertexes (vertex, status id): when first seen and last printed.
        self._tasks: dict[tuple[str, str], list[datetime | None]] = {}
        self._tasks_done: set[tuple[str, str]] = set()

    def _number(self, digest: str, name: str = "") -> tuple[int, list[str]]:
        """The vertex number, plus the header line when it is new."""
        if name:
            self._names.setdefault(digest, name)
        if digest in self._numbers:
            return self._numbers[digest], []
        n = len(self._numbers) + 1
        self._numbers[digest] = n
        return n, [f"#{n} {self._names.get(digest, digest)}"]

    def feed(self, event: Event) -> list[str]:
        """The text lines (without newlines) for one event."""
        if isinstance(event, VertexStarted):
            self._starts[event.digest] = event.started
            _, head = self._number(event.digest, event.name)
            return head
        if isinstance(event, VertexCached):
            n, head = self._number(event.digest, event.name)
            return head + self._flush(event.digest) + [f"#{n} CACHED", ""]
        if isinstance(event, VertexCompleted):
            n, head = self._number(event.digest, event.name)
            return head + self._flush(event.digest) + [f"#{n} DONE {event.seconds:.1f}s", ""]
        if isinstance(event, VertexFailed):
            n, head = self._number(event.digest, event.name)
            return head + self._flush(event.digest) + [f"#{n} ERROR: {event.error}", ""]
        if isinstance(event, VertexProgress):
            n, head = self._number(event.digest, event.name)
            return head + [f"#{n} {byte_progress(event)}"]
        if isinstance(event, LogChunk):
            return self._log(event)
        if isinstance(event, PushProgress) and event.status not in ("", "Pushing"):
            n, head = self._number(f"push:{event.ref}", f"[push] {event.ref}")
            return head + [f"#{n} {event.layer}: {event.status}".replace(" : ", " ")]
        if isinstance(event, Progress):
            return self._progress(event)
        return []

    def _progress(self, event: Progress) -> list[str]:
        """A sub-task (layer pull, extraction, export) as ``buildctl --progress=plain``.

        A line when it starts, its bytes at most every :data:`PROGRESS_EVERY_S` while
        they move, and a last line with its seconds.

        Only the last line used to be printed, so a base image's 10 s pull and unpack
        showed as silence between two steps.
        """
        n, head = self._number(event.vertex)
        key = (event.vertex, event.id)
        if key in self._tasks_done:
            return head  # the daemon re-sends statuses it already reported
        size = f" {megabytes(event.current)} / {megabytes(event.total)}" if event.total else ""
        now = event.timestamp
        if key not in self._tasks:
            self._tasks[key] = [now, now]
            if not event.completed:
                return head + [f"#{n} {event.id}{size}"]
        first, printed = self._tasks[key]
        elapsed = f" {(now - first).total_seconds():.1f}s" if now and first else ""
        if event.completed:
            self._tasks_done.add(key)
            del self._tasks[key]
            return head + [f"#{n} {event.id}{size}{elapsed} done"]
        if size and now and printed and (now - printed).total_seconds() >= PROGRESS_EVERY_S:
            self._tasks[key][1] = now
            return head + [f"#{n} {event.id}{size}{elapsed}"]
        return head

    def flush(self) -> list[str]:
        """Lines still waiting for their newline, of every vertex (at the end of a log)."""
        return [line for digest in list(self._numbers) for line in self._flush(digest)]

    def _flush(self, digest: str) -> list[str]:
        n = self._numbers.get(digest)
        return [f"#{n} {self._partial.pop(key).decode('utf-8', errors='replace')}"
                for key in sorted(k for k in self._partial if k[0] == digest)]

    def _log(self, event: LogChunk) -> list[str]:
        n, head = self._number(event.vertex)
        key = (event.vertex, event.stream)
        data = self._partial.pop(key, b"") + event.data
        complete, newline, rest = data.rpartition(b"\n")
        if len(rest) > MAX_PARTIAL_LINE:  # a runaway line without newline: print it
            complete, newline, rest = data, b"\n", b""
        if rest:
            self._partial[key] = rest
        if not newline:
            return head
        start = self._starts.get(event.vertex)
        offset = ""
        if start and event.timestamp:
            offset = f"{(event.timestamp - start).total_seconds():.3f} "
        text = complete.decode("utf-8", errors="replace")
        return head + [f"#{n} {offset}{line}" for line in text.split("\n")]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def to_json(event: Event) -> dict:
    """One event as a JSON-serialisable dict with a ``type`` field.

    Log data is decoded as UTF-8 (``data``) and also kept exactly, base64
    encoded (``data_b64``), since a chunk may split a multi-byte character.
    """
    record: dict = {"type": event.kind}
    for name, value in vars(event).items():
        if name == "kind":
            continue
        if isinstance(value, datetime):
            value = _time(value)
        elif isinstance(value, bytes):
            record["data_b64"] = base64.b64encode(value).decode()
            value = value.decode("utf-8", errors="replace")
        elif isinstance(value, tuple):
            value = list(value)
        record[name] = value
    if isinstance(event, VertexCompleted):
        record["seconds"] = round(event.seconds, 3)
    if isinstance(event, VertexProgress):
        record["seconds"] = round(event.seconds, 3)
        record["rate_bps"] = round(event.rate)
    return record


def byte_progress(event: VertexProgress) -> str:
    """``12.3 MB / 41.2 MB 1.3s (9.5 MB/s)``; without ``/ total`` while it is unknown."""
    size = megabytes(event.current) + (f" / {megabytes(event.total)}" if event.total else "")
    return f"{size} {event.seconds:.1f}s ({megabytes(event.rate)}/s)"


def megabytes(count: float) -> str:
    """``count`` bytes in decimal megabytes, one decimal (as registries and Docker count)."""
    return f"{count / 1e6:.1f} MB"
