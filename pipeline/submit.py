"""The build service: what the API, UI and CLI call (docs/design.md, "Build service").

They never touch Celery or BuildKit: a build row is created, and its compile → build
chain is handed to a :class:`Dispatch` (Celery's is ``tasks.dispatch.CeleryDispatch``)
with task ids derived from the build id (so Flower finds a build's tasks by its id).
The send is an after-commit action of the session (:func:`after_commit`): a worker
can never be handed a build id whose row is not committed, and a rolled-back build is
never sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from core import states
from core.config import Settings
from core.db import Build, BuildState, Team
from core.logevents import HEADER, Entry
from pipeline.control import Control, redelivery_after_s


class Dispatch(Protocol):
    """How a build's stages reach the workers; the pipeline names no task or broker."""

    def build_queue(self) -> str:
        """The queue the build stage goes to (recorded on the build)."""

    def send_chain(self, build_id: str, *, compile_task_id: str, build_task_id: str,
                   build_queue: str) -> None:
        """Send the compile stage, then the build stage, of ``build_id``."""

    def resend_build(self, build_id: str, *, build_task_id: str, build_queue: str) -> None:
        """Send the build stage again (its message died with a worker)."""

    def revoke(self, task_ids: list[str]) -> None:
        """Drop tasks not started yet."""


def compile_task_id(build_id: str) -> str:
    return f"{build_id}.compile"


def build_task_id(build_id: str) -> str:
    return f"{build_id}.build"


_AFTER_COMMIT = "rb_after_commit"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's current transaction has committed.

    Dropped if that transaction rolls back instead.  The action runs when the session
    no longer has a transaction, so it must not load attributes from the database:
    give it plain values read before the commit.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT, []):
        action()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the outer transaction: its rows are gone
        session.info.pop(_AFTER_COMMIT, None)


def submit_build(session: Session, dispatch: Dispatch, settings: Settings, *, team_id: str,
                 recipe_version_id: str | None = None, recipe_yaml: str | None = None,
                 author: str | None = None) -> Build:
    """Create a queued build and commit it; its compile → build chain is sent on commit.

    Args:
        session: a session of the records; committed here.
        dispatch: what carries the chain to the workers.
        settings: system settings (default timeout).
        team_id: the owning team.
        recipe_version_id: an existing recipe version, or
        recipe_yaml: one-off recipe text (stored on the build itself).
        author: the requesting user's id.

    Raises:
        ValueError: neither or both of ``recipe_version_id`` / ``recipe_yaml``, or an
            unknown team.
    """
    if (recipe_version_id is None) == (recipe_yaml is None):
        raise ValueError("give exactly one of recipe_version_id and recipe_yaml")
    team = session.get(Team, team_id)
    if team is None:
        raise ValueError(f"unknown team {team_id}")
    build = Build(team_id=team_id, recipe_version_id=recipe_version_id, recipe_yaml=recipe_yaml,
                  requested_by=author,
                  timeout_s=team.build_timeout_s or settings.build_timeout_s)
    session.add(build)
    session.flush()
    build.compile_task_id = compile_task_id(build.id)
    build.build_task_id = build_task_id(build.id)
    build.queue = dispatch.build_queue()
    after_commit(session, _enqueue_action(
        dispatch, settings, team_id=team_id, build_id=build.id,
        submitted=build.queued_at.timestamp(),
        lease_s=redelivery_after_s(build.timeout_s or settings.build_timeout_s),
        compile_task_id=build.compile_task_id, build_task_id=build.build_task_id,
        build_queue=build.queue))
    session.commit()
    return build


def _enqueue_action(dispatch: Dispatch, settings: Settings, *, team_id: str, build_id: str,
                    submitted: float, lease_s: int, compile_task_id: str, build_task_id: str,
                    build_queue: str) -> Callable[[], None]:
    """Line the build up for a team slot, lease its message, send its chain."""

    def enqueue() -> None:
        control = Control(_redis(settings))
        control.enqueue(team_id, build_id, submitted)
        control.lease(build_id, lease_s)
        dispatch.send_chain(build_id, compile_task_id=compile_task_id,
                            build_task_id=build_task_id, build_queue=build_queue)

    return enqueue


def cancel_build(session: Session, redis: Redis, dispatch: Dispatch, build_id: str) -> Build:
    """Request a cancel: flag, revoke, and end the build as ``cancelled`` now.

    A running solve sees the flag within a fraction of a second and stops; a build
    still waiting in a queue is dropped when its task is delivered.  Cancelling a
    finished build changes nothing.

    Raises:
        LookupError: no such build.
    """
    build = session.get(Build, build_id)
    if build is None:
        raise LookupError(build_id)
    if build.state.terminal:
        return build
    Control(redis).request_cancel(build_id)
    build.cancel_requested = True
    session.commit()
    dispatch.revoke([compile_task_id(build_id), build_task_id(build_id)])
    # No solve runs before ``building``: end it here.  A running solve is stopped by
    # its worker, which sees the flag within a fraction of a second.
    if states.transition(session, build_id, [BuildState.QUEUED, BuildState.COMPILING],
                         BuildState.CANCELLED):
        session.commit()
        _close_log(redis, build)
    session.refresh(build)
    return build


def queue_position(redis: Redis, build: Build) -> int | None:
    """1-based place in the team's line for a build slot; None once it runs or ended."""
    if build.state.terminal:
        return None
    return Control(redis).queue_position(build.team_id, build.id)


def _redis(settings: Settings) -> Redis:
    from core.clients import redis_client

    return redis_client(settings)


def _close_log(redis: Redis, build: Build) -> None:
    """End the log of a build cancelled before its solve; the reaper archives it."""
    from core.logbus import LogBus, LogClosed

    Control(redis).release(build.team_id, build.id)
    bus = LogBus(redis, store=None, cap_bytes=1 << 20)  # type: ignore[arg-type]  # no archive
    try:
        bus.append(build.id, [Entry(HEADER, "Build cancelled.")])
        bus.end(build.id, BuildState.CANCELLED.value)
    except LogClosed:
        pass
