"""BuildKit progress events into the log bus, batched off the solve's threads.

Each event becomes a LOG entry with its BuildKit-style plain text (the raw view)
and, for vertex changes, a VERTEX entry with its JSON (the structured view).  A
background thread appends what accumulated every few milliseconds, so the status
stream is never slowed by Redis round trips.  Secret values are masked before an
entry is queued.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterable

from buildkit.progress import (
    Event,
    LogChunk,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexProgress,
    VertexStarted,
)
from buildkit.render import PlainRenderer, to_json
from core.logbus import LogBus, LogClosed
from core.logevents import HEADER, LOG, VERTEX, Entry
from pipeline.secrets import redact

log = logging.getLogger(__name__)
_VERTEX_EVENTS = (VertexStarted, VertexCached, VertexCompleted, VertexFailed, VertexProgress)
_BATCH = 500
_FLUSH_S = 0.005


class LogWriter:
    """Appends one build's log entries in batches; use as a context manager."""

    def __init__(self, bus: LogBus, build_id: str, redactions: Iterable[bytes] = ()) -> None:
        self.bus = bus
        self.build_id = build_id
        self.redactions = list(redactions)
        self._renderer = PlainRenderer()
        self._queue: queue.Queue[Entry | None] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, daemon=True, name="rb-logwriter")
        self._started = False

    def __enter__(self) -> LogWriter:
        self._thread.start()
        self._started = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush everything queued and stop the thread."""
        if self._started:
            leftover = self._renderer.flush()  # lines that never got their newline
            if leftover:
                text = ("\n".join(leftover) + "\n").encode()
                self._queue.put(Entry(LOG, self._mask(text)))
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._started = False

    def header(self, *lines: str) -> None:
        for line in lines:
            self._queue.put(Entry(HEADER, self._mask(line.encode())))

    def event(self, event: Event) -> None:
        """Queue the raw text (and structured record) of one progress event."""
        lines = self._renderer.feed(event)
        vertex = getattr(event, "digest", "") or getattr(event, "vertex", "")
        if lines:
            stream = ""
            if isinstance(event, LogChunk):
                stream = "stderr" if event.stream == 2 else "stdout"
            text = ("\n".join(lines) + "\n").encode()
            self._queue.put(Entry(LOG, self._mask(text), vertex=vertex, stream=stream))
        if isinstance(event, _VERTEX_EVENTS):
            record = json.dumps(to_json(event), separators=(",", ":")).encode()
            self._queue.put(Entry(VERTEX, self._mask(record), vertex=vertex))

    def _mask(self, data: bytes) -> bytes:
        return redact(data, self.redactions) if self.redactions else data

    def _drain(self) -> None:
        done = False
        while not done:
            batch: list[Entry] = []
            item = self._queue.get()
            if item is None:
                done = True
            else:
                batch.append(item)
                # No entry waits more than _FLUSH_S for its batch, however the entries
                # trickle in and however long a burst lasts; a few entries wait for
                # company until then, a burst goes as soon as the queue is empty.
                deadline = time.monotonic() + _FLUSH_S
                try:
                    while len(batch) < _BATCH:
                        wait = deadline - time.monotonic()
                        if wait <= 0:
                            break
                        item = self._queue.get(timeout=wait) if len(batch) < 8 else \
                            self._queue.get_nowait()
                        if item is None:
                            done = True
                            break
                        batch.append(item)
                except queue.Empty:
                    pass
            if batch:
                self._append(batch)

    def _append(self, batch: list[Entry]) -> None:
        try:
            self.bus.append(self.build_id, batch)
        except LogClosed:
            log.info("log of %s already closed; dropping %d entries", self.build_id, len(batch))
        except Exception:
            log.exception("appending to the log of %s failed", self.build_id)
