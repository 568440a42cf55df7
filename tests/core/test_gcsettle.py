"""Settling a process's heap: what start-up made is frozen, so later full garbage
collections walk only what was made since (a full walk of a worker's heap stalled
every thread for 45-85 ms)."""

from __future__ import annotations

import gc

import pytest

from core import gcsettle


@pytest.fixture(autouse=True)
def unfrozen():
    """Each test starts and ends with nothing frozen in this (the test) process."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def walked() -> set[int]:
    """Ids of the objects a full collection walks now."""
    return {id(obj) for obj in gc.get_objects()}


def test_settle_moves_long_lived_objects_out_of_the_collectors_walk():
    long_lived = [[i] for i in range(50_000)]  # lists: always tracked by the collector
    before = walked()
    assert id(long_lived) in before and id(long_lived[-1]) in before
    frozen = gcsettle.settle()
    after = walked()
    assert frozen >= len(long_lived)
    assert id(long_lived) not in after and id(long_lived[-1]) not in after
    assert len(after) < len(before) - len(long_lived)


def test_settle_collects_garbage_before_freezing():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the collector can free
    del a, b
    gcsettle.settle()
    assert not any(isinstance(obj, Node) for obj in gc.get_objects())
    gc.unfreeze()
    assert not any(isinstance(obj, Node) for obj in gc.get_objects())


def test_settle_again_only_once_many_objects_piled_up():
    gcsettle.settle()
    assert gcsettle.settle_if_grown(limit=20_000) is False
    piled = [[i] for i in range(30_000)]
    gc.collect()  # survivors reach the oldest generation
    assert gcsettle.settle_if_grown(limit=20_000) is True
    assert len(gc.get_objects(generation=2)) < 20_000
    assert piled
