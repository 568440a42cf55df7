"""The build state machine, enforced atomically in the database.

queued → compiling → building → pushing → succeeded, with early exits to failed,
cancelled and timed_out from every non-terminal state.  A transition is one
conditional ``UPDATE … WHERE id = :id AND state IN (:expected)``: when two
processes race (a cancel and a worker, two redelivered tasks) the database lets
exactly one row update succeed, and the loser learns it lost from the row count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.builds import TERMINAL_STATES, Build, BuildState

S = BuildState
_EARLY_EXITS = frozenset({S.FAILED, S.CANCELLED, S.TIMED_OUT})

#: Every legal move: the forward path, and an early exit from any live state.
TRANSITIONS: dict[BuildState, frozenset[BuildState]] = {
    S.QUEUED: frozenset({S.COMPILING}) | _EARLY_EXITS,
    S.COMPILING: frozenset({S.BUILDING}) | _EARLY_EXITS,
    S.BUILDING: frozenset({S.PUSHING}) | _EARLY_EXITS,
    S.PUSHING: frozenset({S.SUCCEEDED}) | _EARLY_EXITS,
    **{terminal: frozenset() for terminal in TERMINAL_STATES},
}

#: The column stamped with the time a state is entered.
_TIMESTAMP_COLUMN = {
    S.COMPILING: "compiling_at",
    S.BUILDING: "building_at",
    S.PUSHING: "pushing_at",
    **{terminal: "finished_at" for terminal in TERMINAL_STATES},
}


class IllegalTransition(ValueError):
    """A move the state machine never allows (e.g. succeeded → building)."""

    def __init__(self, source: BuildState, target: BuildState) -> None:
        super().__init__(f"illegal build state transition {source.value} → {target.value}")
        self.source = source
        self.target = target


def is_legal(source: BuildState, target: BuildState) -> bool:
    """Whether the state machine allows ``source → target``."""
    return target in TRANSITIONS[source]


def sources_of(target: BuildState) -> frozenset[BuildState]:
    """Every state from which ``target`` may be entered."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def transition(session: Session, build_id: str, expected: BuildState | Iterable[BuildState],
               target: BuildState, **changes: Any) -> bool:
    """Move a build to ``target`` if it is currently in ``expected``.

    The update runs in ``session``'s transaction; it is final when the caller
    commits.  On PostgreSQL a concurrent writer blocks on the row and re-checks the
    condition after the first commits; SQLite serialises writers.  Either way one
    wins.

    Args:
        session: The session whose transaction carries the update.
        build_id: The build to move.
        expected: The state (or states) the caller believes the build is in.
        target: The state to enter; its ``*_at`` column is stamped now.
        **changes: Other columns to set in the same statement (e.g. ``worker``,
            ``error_message``, ``attempt=Build.attempt + 1``).

    Returns:
        True when this call moved the build; False when it was not in ``expected``
        (someone else moved it first, or it does not exist).

    Raises:
        IllegalTransition: when some ``expected → target`` is never allowed.
    """
    sources = frozenset([expected] if isinstance(expected, BuildState) else expected)
    for source in sources:
        if not is_legal(source, target):
            raise IllegalTransition(source, target)
    values = {"state": target, _TIMESTAMP_COLUMN[target]: utcnow(), **changes}
    statement = (
        update(Build)
        .where(Build.id == build_id, Build.state.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    won = session.execute(statement).rowcount == 1
    _expire_cached(session, build_id)
    return won


def finish(session: Session, build_id: str, target: BuildState, **changes: Any) -> bool:
    """Move a live build to a terminal ``target`` from whatever live state it is in.

    For cancel, timeout and the reaper, which do not know (or care) where the build
    is; returns False when the build already ended.
    """
    if target not in TERMINAL_STATES:
        raise ValueError(f"{target.value} is not a terminal state")
    return transition(session, build_id, sources_of(target), target, **changes)


def _expire_cached(session: Session, build_id: str) -> None:
    # The UPDATE bypassed the identity map; a Build loaded earlier in this session
    # must reload instead of showing its old state.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Build) and obj.id == build_id:
            session.expire(obj)
