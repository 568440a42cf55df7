"""The build state machine: legal moves, typed refusals, atomic races on real databases."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from core import states
from core.db import Build, BuildState, make_session_factory
from core.states import IllegalTransition, finish, transition
from tests.core.records import new_build

S = BuildState


def test_table_shape() -> None:
    assert all(states.TRANSITIONS[t] == frozenset() for t in states.TERMINAL_STATES)
    assert states.is_legal(S.QUEUED, S.CANCELLED)
    assert states.is_legal(S.COMPILING, S.FAILED)
    assert not states.is_legal(S.QUEUED, S.BUILDING)
    assert not states.is_legal(S.QUEUED, S.SUCCEEDED)
    assert states.sources_of(S.SUCCEEDED) == {S.PUSHING}


def test_happy_path_stamps_each_state(engine: Engine) -> None:
    build_id = new_build(engine)
    Session = make_session_factory(engine)
    path = [S.QUEUED, S.COMPILING, S.BUILDING, S.PUSHING, S.SUCCEEDED]
    with Session() as session:
        for source, target in zip(path, path[1:], strict=False):
            assert transition(session, build_id, source, target, worker="w1")
            session.commit()
        build = session.get(Build, build_id)
        assert build.state is S.SUCCEEDED and build.worker == "w1"
        stamps = [build.queued_at, build.compiling_at, build.building_at, build.pushing_at,
                  build.finished_at]
        assert all(stamps) and stamps == sorted(stamps)


def test_illegal_moves_are_refused_before_touching_the_row(engine: Engine) -> None:
    build_id = new_build(engine)
    Session = make_session_factory(engine)
    with Session() as session:
        with pytest.raises(IllegalTransition) as err:
            transition(session, build_id, S.QUEUED, S.PUSHING)
        assert (err.value.source, err.value.target) == (S.QUEUED, S.PUSHING)
        with pytest.raises(IllegalTransition):
            transition(session, build_id, S.SUCCEEDED, S.BUILDING)
        assert session.get(Build, build_id).state is S.QUEUED


def test_stale_expectation_loses_and_cached_object_refreshes(engine: Engine) -> None:
    build_id = new_build(engine)
    Session = make_session_factory(engine)
    with Session() as session:
        build = session.get(Build, build_id)
        assert build.state is S.QUEUED
        assert transition(session, build_id, S.QUEUED, S.COMPILING)
        assert build.state is S.COMPILING  # the loaded object saw the UPDATE
        assert not transition(session, build_id, S.QUEUED, S.COMPILING)
        session.commit()


def test_finish_ends_a_live_build_once(engine: Engine) -> None:
    build_id = new_build(engine)
    Session = make_session_factory(engine)
    with Session() as session:
        assert transition(session, build_id, S.QUEUED, S.COMPILING)
        assert finish(session, build_id, S.CANCELLED, error_message="cancelled by ada")
        assert not finish(session, build_id, S.TIMED_OUT)
        session.commit()
        build = session.get(Build, build_id)
        assert build.state is S.CANCELLED and build.finished_at is not None
        assert build.error_message == "cancelled by ada"
        with pytest.raises(ValueError):
            finish(session, build_id, S.BUILDING)


def test_attempt_can_be_bumped_in_the_same_statement(engine: Engine) -> None:
    build_id = new_build(engine)
    Session = make_session_factory(engine)
    with Session() as session:
        assert transition(session, build_id, S.QUEUED, S.COMPILING, attempt=Build.attempt + 1)
        session.commit()
        assert session.get(Build, build_id).attempt == 1


def _race(engine: Engine, build_id: str, moves: list[tuple[BuildState, BuildState]]) -> list[bool]:
    """Run each move in its own thread and transaction, released together."""
    Session = make_session_factory(engine)
    barrier = threading.Barrier(len(moves))
    results: list[bool | BaseException] = [False] * len(moves)

    def worker(index: int, source: BuildState, target: BuildState) -> None:
        try:
            with Session() as session:
                barrier.wait(timeout=10)
                won = transition(session, build_id, source, target)
                # Hold the row lock a moment so the other writer really contends.
                time.sleep(0.05)
                session.commit()
                results[index] = won
        except BaseException as exc:  # surfaced to the test below
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i, *m)) for i, m in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


@pytest.mark.parametrize("round_", range(5))
def test_racing_transitions_exactly_one_wins(engine: Engine, round_: int) -> None:
    build_id = new_build(engine)
    moves = [(S.QUEUED, S.COMPILING), (S.QUEUED, S.CANCELLED)]
    results = _race(engine, build_id, moves)
    assert sorted(results) == [False, True]
    winner = moves[results.index(True)][1]
    with make_session_factory(engine)() as session:
        assert session.get(Build, build_id).state is winner


def test_two_workers_claiming_the_same_build_one_wins(engine: Engine) -> None:
    build_id = new_build(engine)
    results = _race(engine, build_id, [(S.QUEUED, S.COMPILING)] * 3)
    assert sorted(results) == [False, False, True]


def test_a_session_that_read_before_another_writer_loses_cleanly(engine: Engine) -> None:
    build_id = new_build(engine)
    Session = make_session_factory(engine)
    with Session() as slow, Session() as fast:
        assert slow.get(Build, build_id).state is S.QUEUED
        assert transition(fast, build_id, S.QUEUED, S.COMPILING)
        fast.commit()
        assert not transition(slow, build_id, S.QUEUED, S.CANCELLED)
        slow.commit()
        assert slow.get(Build, build_id).state is S.COMPILING
