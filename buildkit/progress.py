"""BuildKit ``Status`` responses turned into typed progress events.

The daemon re-sends a vertex every time its state changes; :class:`Tracker`
remembers what it already reported and emits one event per transition, in the
order the daemon sent them (vertexes, then statuses, then logs of each
response, as BuildKit's own progress printer reads them).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from buildkit.errors import shorten_exec_error


@dataclass(frozen=True)
class VertexStarted:
    """A vertex began to run."""

    digest: str
    name: str
    started: datetime | None
    inputs: tuple[str, ...] = ()
    kind: str = field(default="vertex.started", init=False)


@dataclass(frozen=True)
class VertexCached:
    """A vertex was answered from the cache."""

    digest: str
    name: str
    kind: str = field(default="vertex.cached", init=False)


@dataclass(frozen=True)
class VertexCompleted:
    """A vertex finished successfully."""

    digest: str
    name: str
    started: datetime | None
    completed: datetime
    cached: bool = False
    kind: str = field(default="vertex.completed", init=False)

    @property
    def seconds(self) -> float:
        """Run time, 0 when the daemon sent no start time."""
        return (self.completed - self.started).total_seconds() if self.started else 0.0


@dataclass(frozen=True)
class VertexFailed:
    """A vertex ended with an error."""

    digest: str
    name: str
    error: str
    started: datetime | None
    completed: datetime | None
    kind: str = field(default="vertex.error", init=False)


@dataclass(frozen=True)
class LogChunk:
    """Output of a vertex: ``stream`` 1 is stdout, 2 stderr."""

    vertex: str
    stream: int
    data: bytes
    timestamp: datetime | None
    kind: str = field(default="log", init=False)


@dataclass(frozen=True)
class Progress:
    """Progress of a sub-task of a vertex (layer pulls, exports, pushes)."""

    vertex: str
    id: str
    name: str
    current: int
    total: int
    completed: bool
    timestamp: datetime | None
    kind: str = field(default="progress", init=False)


@dataclass(frozen=True)
class PushProgress:
    """A line of the Engine API push stream (Docker only; buildkitd pushes in a vertex)."""

    ref: str
    layer: str
    status: str
    current: int
    total: int
    kind: str = field(default="push", init=False)

    @classmethod
    def from_engine(cls, ref: str, line: dict) -> PushProgress:
        """Build from one JSON line of ``POST /images/{name}/push``."""
        detail = line.get("progressDetail") or {}
        return cls(ref, line.get("id", ""), line.get("status", ""),
                   int(detail.get("current") or 0), int(detail.get("total") or 0))


@dataclass(frozen=True)
class VertexProgress:
    """Bytes a vertex has moved so far (the image push), with the seconds it took.

    ``total`` is 0 when the size is not known yet.  BuildKit itself sends no such
    event: the build stage makes them for the push step (``pipeline.pushstep``).
    """

    digest: str
    name: str
    current: int
    total: int
    seconds: float
    kind: str = field(default="vertex.progress", init=False)

    @property
    def rate(self) -> float:
        """Bytes per second, 0 before any time has passed."""
        return self.current / self.seconds if self.seconds > 0 else 0.0


Event = (
    VertexStarted | VertexCached | VertexCompleted | VertexFailed | VertexProgress
    | LogChunk | Progress | PushProgress
)


def to_datetime(ts) -> datetime | None:
    """A protobuf Timestamp as an aware datetime, None when unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)


@dataclass
class _VertexState:
    started: bool = False
    done: bool = False
    failed: bool = False


class Tracker:
    """Turns a sequence of ``StatusResponse`` messages into :data:`Event` lists.

    Attributes:
        names: vertex digest → display name, for every vertex seen.
        failed: the vertex events that ended in an error, in order.
    """

    def __init__(self) -> None:
        self._states: dict[str, _VertexState] = {}
        self.names: dict[str, str] = {}
        self.failed: list[VertexFailed] = []

    def feed(self, response) -> list[Event]:
        """Events for one ``StatusResponse``."""
        events: list[Event] = []
        for v in response.vertexes:
            events.extend(self._vertex(v))
        for s in response.statuses:
            events.append(Progress(
                vertex=s.vertex, id=s.ID, name=s.name, current=s.current, total=s.total,
                completed=to_datetime(s.completed) is not None,
                timestamp=to_datetime(s.timestamp),
            ))
        for log in response.logs:
            events.append(LogChunk(log.vertex, int(log.stream), bytes(log.msg),
                                   to_datetime(log.timestamp)))
        return events

    def _vertex(self, v) -> list[Event]:
        state = self._states.setdefault(v.digest, _VertexState())
        self.names[v.digest] = v.name
        started, completed = to_datetime(v.started), to_datetime(v.completed)
        # The short form for every consumer (log, step records, the build's error): a
        # failed op's full command line is noise, kilobytes of it for a launcher step.
        error = shorten_exec_error(v.error)
        if state.done:
            # A vertex can run again after completing: buildkitd's image exporter
            # completes, then runs once more to push, and only that run may fail.
            if v.error and not state.failed:
                state.failed = True
                failed = VertexFailed(v.digest, v.name, error, started, completed)
                self.failed.append(failed)
                return [failed]
            return []
        events: list[Event] = []
        if v.cached:
            state.started = state.done = True
            return [VertexCached(v.digest, v.name)]
        if started and not state.started:
            state.started = True
            events.append(VertexStarted(v.digest, v.name, started, tuple(v.inputs)))
        if v.error:
            state.done = state.failed = True
            failed = VertexFailed(v.digest, v.name, error, started, completed)
            self.failed.append(failed)
            events.append(failed)
        elif completed:
            state.done = True
            events.append(VertexCompleted(v.digest, v.name, started, completed))
        return events

    def failing_vertex(self, ours: Collection[str] = ()) -> VertexFailed | None:
        """The vertex whose failure caused the others.

        The first vertex that failed for a reason other than cancellation, those
        with digests in ``ours`` first: a step's failure also fails the daemon's own
        vertexes waiting on it (the exporter's), in no fixed order.
        """
        real = [failed for failed in self.failed if "context canceled" not in failed.error]
        for failed in real:
            if failed.digest in ours:
                return failed
        if real:
            return real[0]
        return self.failed[0] if self.failed else None
