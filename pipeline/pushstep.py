"""The image push as a step of its own in the log: started, its bytes and rate, done.

Neither engine shows the push as a step.  buildkitd pushes inside its exporter's
vertex *after* that vertex has reported completion ("exporting to image" reads the
seconds of compression only; the ``pushing layers`` and ``pushing manifest``
statuses that follow carry no byte counts).  Docker's Engine pushes after the solve,
outside any vertex, with a byte count per layer.  Either way the seconds of the
push, often a third of a cold build, were nowhere a user looks.

:class:`PushStep` turns both into one synthetic vertex, fed through the same path
as BuildKit's own (log, step rows, ``dz``, the web UI): started at the first push
status, a :class:`~buildkit.progress.VertexProgress` at most every ``interval_s``
while bytes move, and, once the solve has returned, the final bytes and done.  When
the engine counted no bytes (buildkitd), the final figure is the pushed image's size
from its manifest: layers the registry already had count too, so the rate is the
effective one.  Pure apart from the clock, which tests replace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from buildkit.progress import (
    Event,
    Progress,
    PushProgress,
    VertexCompleted,
    VertexFailed,
    VertexProgress,
    VertexStarted,
)

#: Engine push statuses of a layer that was not sent (the registry had it).
_NOT_SENT = ("Layer already exists", "Mounted from")


@dataclass
class _Layer:
    current: int = 0
    total: int = 0
    sent: bool = True


class PushStep:
    """One build's push, as a vertex named ``[push] <image>`` (digest ``push:<image>``)."""

    def __init__(self, image: str, *, interval_s: float = 1.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.digest, self.name = f"push:{image}", f"[push] {image}"
        self._interval_s, self._now, self._monotonic = interval_s, now, monotonic
        self._started: datetime | None = None
        self._ended: datetime | None = None
        self._last_report = 0.0
        self._layers: dict[str, _Layer] = {}
        self._closed = False

    @property
    def started(self) -> bool:
        return self._started is not None

    def feed(self, event: Event) -> list[Event]:
        """The push step's events that ``event`` (a BuildKit or Engine one) gives."""
        if self._closed:
            return []
        if isinstance(event, Progress) and event.id.startswith("pushing"):
            events = self._start(event.timestamp)
            if event.completed and event.id.startswith("pushing manifest"):
                self._ended = event.timestamp or self._now()
            return events
        if isinstance(event, PushProgress):
            events = self._start(None)  # at the Engine's first line, layer or not
            if not event.layer:
                return events
            self._layer(event)
            if self._monotonic() - self._last_report >= self._interval_s:
                self._last_report = self._monotonic()
                events.append(self._progress(self._now()))
            return events
        return []

    def finish(self, image_size: int | None) -> list[Event]:
        """Once the solve succeeded: the final bytes, then done (nothing if no push ran).

        ``image_size`` (the image's bytes that are not in its source images) stands in
        for the bytes when the engine counted none.
        """
        if not self.started or self._closed:
            return []
        self._closed = True
        ended = self._ended or self._now()
        sent, total = self._bytes()
        final = self._progress(ended)
        if not sent and image_size:
            final = VertexProgress(self.digest, self.name, image_size, image_size,
                                   final.seconds)
        elif image_size and not total:
            final = VertexProgress(self.digest, self.name, sent, image_size, final.seconds)
        return [final, VertexCompleted(self.digest, self.name, self._started, ended)]

    def fail(self, error: str) -> list[Event]:
        """When the solve ended badly during the push: the push step failed with it."""
        if not self.started or self._closed:
            return []
        self._closed = True
        return [VertexFailed(self.digest, self.name, error, self._started, self._now())]

    def _start(self, at: datetime | None) -> list[Event]:
        if self.started:
            return []
        self._started = at or self._now()
        self._last_report = self._monotonic()
        return [VertexStarted(self.digest, self.name, self._started)]

    def _layer(self, event: PushProgress) -> None:
        layer = self._layers.setdefault(event.layer, _Layer())
        if event.status.startswith(_NOT_SENT):
            layer.sent = False
        elif event.status == "Pushing":
            layer.current, layer.total = event.current, max(event.total, layer.total)
        elif event.status == "Pushed":
            layer.current = layer.total = max(layer.current, layer.total)

    def _bytes(self) -> tuple[int, int]:
        sent = [layer for layer in self._layers.values() if layer.sent]
        return sum(layer.current for layer in sent), sum(layer.total for layer in sent)

    def _progress(self, at: datetime) -> VertexProgress:
        current, total = self._bytes()
        seconds = max((at - self._started) / timedelta(seconds=1), 0.0)
        return VertexProgress(self.digest, self.name, current, total, seconds)
