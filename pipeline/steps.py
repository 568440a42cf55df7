"""Per-step results of a solve, from its progress events, written as BuildStep rows."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from buildkit.progress import Event, VertexCached, VertexCompleted, VertexFailed, VertexStarted
from core.db import Build, BuildState, BuildStep, utcnow

_EXIT = re.compile(r"exit code: (\d+)")
#: The error of a step that was still running when its build was cancelled.
STEP_CANCELLED = "cancelled"


def exit_status(error: str) -> int | None:
    """The process exit status in a BuildKit vertex error, if it names one."""
    match = _EXIT.search(error)
    return int(match.group(1)) if match else None


@dataclass
class _Result:
    position: int
    name: str
    cached: bool = False
    started: datetime | None = None
    completed: datetime | None = None
    exit_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Ran:
    started: datetime | None
    completed: datetime | None
    duration: float | None
    exit_status: int | None


class StepRecorder:
    """Collects vertex outcomes in order of first appearance (thread-safe).

    Args:
        step_ids: vertex digest → recipe step id (from the compile), for the rows.
    """

    def __init__(self, step_ids: Mapping[str, str]) -> None:
        self.step_ids = dict(step_ids)
        self._results: dict[str, _Result] = {}
        self._lock = threading.Lock()

    def _get(self, digest: str, name: str) -> _Result:
        if digest not in self._results:
            self._results[digest] = _Result(len(self._results), name)
        return self._results[digest]

    def feed(self, event: Event) -> None:
        if not isinstance(event, VertexStarted | VertexCached | VertexCompleted | VertexFailed):
            return
        with self._lock:
            result = self._get(event.digest, event.name)
            if isinstance(event, VertexCached):
                result.cached = True
            elif isinstance(event, VertexStarted):
                result.started = event.started
            elif isinstance(event, VertexCompleted):
                result.started = result.started or event.started
                result.completed, result.exit_status = event.completed, 0
            else:
                result.completed = event.completed
                result.error = event.error
                result.exit_status = exit_status(event.error)

    def executed_steps(self) -> list[str]:
        """Recipe step ids that ran (not from cache), in order."""
        with self._lock:
            return [self.step_ids[d] for d, r in self._results.items()
                    if d in self.step_ids and not r.cached]

    def write(self, session: Session, build_id: str) -> None:
        """Replace the build's step rows with this solve's results.

        A step that ran in an earlier attempt of the build (one that failed after it,
        at the push say, and was retried) comes from the daemon's cache this time; it
        stays recorded as run, with that attempt's times, since this build ran it.
        """
        ran_before = {row.vertex_digest: _Ran(row.started_at, row.completed_at,
                                              row.duration_s, row.exit_status)
                      for row in session.scalars(select(BuildStep).where(
                          BuildStep.build_id == build_id, BuildStep.cached.is_(False),
                          BuildStep.completed_at.is_not(None), BuildStep.error.is_(None)))}
        session.execute(delete(BuildStep).where(BuildStep.build_id == build_id))
        with self._lock:
            for digest, r in self._results.items():
                ran = ran_before.get(digest) if r.cached else None
                if ran is not None:
                    session.add(BuildStep(
                        build_id=build_id, position=r.position, vertex_digest=digest,
                        step_id=self.step_ids.get(digest), name=r.name, cached=False,
                        started_at=ran.started, completed_at=ran.completed,
                        duration_s=ran.duration, exit_status=ran.exit_status))
                    continue
                duration = None
                if r.started and r.completed:
                    duration = (r.completed - r.started).total_seconds()
                session.add(BuildStep(
                    build_id=build_id, position=r.position, vertex_digest=digest,
                    step_id=self.step_ids.get(digest), name=r.name, cached=r.cached,
                    started_at=r.started, completed_at=r.completed, duration_s=duration,
                    exit_status=0 if r.cached else r.exit_status, error=r.error))


def end_running_steps(build: Build) -> list[BuildStep]:
    """Close the steps of an ended build still recorded as running; returns them.

    A cancelled or timed-out solve is stopped without BuildKit reporting an end for
    the vertexes it was running, and a lost worker reports nothing: such a step
    ends with its build, as ``cancelled`` when the build was.
    """
    if not build.state.terminal:
        return []
    ended = build.finished_at or utcnow()
    if build.state is BuildState.CANCELLED:
        reason = STEP_CANCELLED
    else:
        reason = f"stopped: the build {build.state.value.replace('_', ' ')}"
    closed = []
    for step in build.steps:
        if step.started_at and step.completed_at is None and step.error is None \
                and not step.cached:
            step.completed_at = ended
            step.duration_s = max(0.0, (ended - step.started_at).total_seconds())
            step.error = reason
            closed.append(step)
    return closed
