"""The log bus on the real Redis: ordering, no gaps or duplicates, cap, archive fallback."""

from __future__ import annotations

import gzip
import json
import random
import threading
import uuid
from pathlib import Path

import pytest

from core.logbus import LogBus, LogClosed, LogNotEnded
from core.logevents import END, HEADER, LOG, MARKER, VERTEX, Entry, json_lines, raw_text
from core.objectstore import LocalObjectStore, object_store_from_settings


@pytest.fixture
def bus(redis_client, tmp_path: Path):
    prefix = f"rbtest:{uuid.uuid4().hex}"
    bus = LogBus(redis_client, LocalObjectStore(tmp_path / "archive"),
                 cap_bytes=1024 * 1024, prefix=prefix)
    yield bus
    keys = list(redis_client.scan_iter(match=f"{prefix}:*"))
    if keys:
        redis_client.delete(*keys)


def _lines(n: int, start: int = 0) -> list[Entry]:
    """One event per line: alternating vertices keep the bus from merging neighbours."""
    return [Entry(LOG, f"#5 line {i}\n", vertex=f"sha256:v{i % 2}", stream="stdout")
            for i in range(start, start + n)]


def _expire_now(bus: LogBus, build_id: str) -> None:
    bus.redis.delete(bus.stream_key(build_id), bus.meta_key(build_id))


def test_sequences_are_contiguous_and_replay_from_any_point(bus: LogBus) -> None:
    assert bus.append("b1", _lines(3)) == 3
    assert bus.append("b1", _lines(2, 3)) == 5
    assert [e.seq for e in bus.read("b1")] == [1, 2, 3, 4, 5]
    tail = list(bus.read("b1", from_seq=4))
    assert [(e.seq, e.text) for e in tail] == [(4, "#5 line 3\n"), (5, "#5 line 4\n")]
    assert list(bus.read("b1", from_seq=6)) == []
    assert list(bus.read("other")) == []


def test_each_batch_is_announced_only_after_it_is_stored(bus: LogBus) -> None:
    pubsub = bus.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(bus.channel("b2"))
    pubsub.get_message(timeout=1)  # subscription confirmation
    announced_and_readable = []
    for size in (1, 7, 3):
        bus.append("b2", _lines(size))
        message = pubsub.get_message(timeout=5)
        seq = int(message["data"])
        # The announced sequence is already in the stream when the hint arrives.
        announced_and_readable.append(bool(list(bus.read("b2", from_seq=seq))))
    pubsub.close()
    assert announced_and_readable == [True, True, True]


def test_concurrent_followers_see_every_event_exactly_once(bus: LogBus) -> None:
    total = 3000
    started = threading.Event()
    results: dict[str, list[int]] = {}

    def produce() -> None:
        rng = random.Random(7)
        written = 0
        while written < total:
            size = min(rng.randint(1, 200), total - written)
            bus.append("b3", _lines(size, written))
            written += size
            if written > total // 3:
                started.set()
        bus.end("b3", "succeeded")

    def follow(name: str, from_seq: int) -> None:
        results[name] = [e.seq for e in bus.follow("b3", from_seq, block_ms=200)]

    readers = [threading.Thread(target=follow, args=("early", 1))]
    producer = threading.Thread(target=produce)
    producer.start()
    started.wait(timeout=30)
    readers += [threading.Thread(target=follow, args=("late", 1)),
                threading.Thread(target=follow, args=("resumed", 1234))]
    for reader in readers[1:]:
        reader.start()
    readers[0].start()
    for thread in [producer, *readers]:
        thread.join(timeout=120)
    assert results["early"] == list(range(1, total + 2))
    assert results["late"] == list(range(1, total + 2))
    assert results["resumed"] == list(range(1234, total + 2))


def test_reconnecting_reader_loses_and_repeats_nothing(bus: LogBus) -> None:
    bus.append("b4", _lines(50))
    first = []
    for event in bus.follow("b4"):
        first.append(event.seq)
        if len(first) == 20:
            break
    bus.append("b4", _lines(30, 50))
    bus.end("b4", "failed")
    rest = [e.seq for e in bus.follow("b4", from_seq=first[-1] + 1)]
    assert first + rest == list(range(1, 82))


def test_follow_stops_when_asked(bus: LogBus) -> None:
    bus.append("b5", _lines(2))
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    assert [e.seq for e in bus.follow("b5", block_ms=50, should_stop=stop)] == [1, 2]


def test_end_event_closes_the_log(bus: LogBus) -> None:
    bus.append("b6", _lines(1))
    assert bus.end("b6", "cancelled") == 2
    last = list(bus.read("b6"))[-1]
    assert (last.kind, last.text) == (END, "cancelled")
    with pytest.raises(LogClosed):
        bus.append("b6", _lines(1))
    assert bus.stats("b6").ended


def test_cap_writes_one_marker_then_counts_dropped_data(redis_client, bus: LogBus) -> None:
    capped = LogBus(redis_client, bus.store, cap_bytes=100, prefix=bus.prefix)
    line = b"x" * 30 + b"\n"  # 31 bytes: three fit under 100, the fourth does not
    capped.append("b7", [Entry(LOG, line) for _ in range(2)])
    # One batch of three more lines is stored as one chunk; the cap clips it at the last
    # line that fits, so every line below the cap is kept.
    capped.append("b7", [Entry(LOG, line) for _ in range(3)])
    capped.append("b7", [Entry(HEADER, "Build failed"), Entry(LOG, line)])
    capped.end("b7", "failed")
    events = list(capped.read("b7"))
    assert [e.kind for e in events] == [LOG, LOG, MARKER, HEADER, END]
    assert events[0].data == line * 2 and events[1].data == line
    assert "truncated" in events[2].text and "100 bytes limit" in events[2].text
    stats = capped.stats("b7")
    assert (stats.stored_bytes, stats.dropped_bytes, stats.dropped_events) == (93, 93, 2)
    assert stats.capped


def test_adjacent_log_lines_of_a_batch_are_stored_as_one_chunk(bus: LogBus) -> None:
    lines = [Entry(LOG, f"#5 0.{i:03} line {i}\n", vertex="v", stream="stdout", time=100 + i)
             for i in range(4)]
    other = Entry(LOG, "#6 0.001 other vertex\n", vertex="w", stream="stdout")
    bus.append("b7c", [*lines, other, Entry(LOG, "#5 err\n", vertex="v", stream="stderr")])
    bus.end("b7c", "succeeded")
    events = list(bus.read("b7c"))
    assert [(e.kind, e.vertex, e.stream) for e in events] == [
        (LOG, "v", "stdout"), (LOG, "w", "stdout"), (LOG, "v", "stderr"), (END, "", "")]
    assert events[0].text == "".join(f"#5 0.{i:03} line {i}\n" for i in range(4))
    assert events[0].time == 100  # stamped with its first line


def test_raw_and_json_views(bus: LogBus) -> None:
    bus.append("b8", [Entry(HEADER, "Fetching secrets for this build..."),
                      Entry(VERTEX, '{"digest":"sha256:v","started":true}', vertex="sha256:v"),
                      Entry(LOG, "#5 0.101 hello\n", vertex="sha256:v", stream="stdout"),
                      Entry(LOG, b"#5 0.102 \xff bad byte\n", stream="stderr")])
    bus.end("b8", "succeeded")
    events = list(bus.read("b8"))
    assert b"".join(raw_text(events)) == (b"Fetching secrets for this build...\n"
                                          b"#5 0.101 hello\n#5 0.102 \xff bad byte\n")
    objects = [json.loads(line) for line in json_lines(events)]
    assert [o["seq"] for o in objects] == [1, 2, 3, 4, 5]
    assert objects[2] == {"seq": 3, "time": objects[2]["time"], "kind": "log",
                          "vertex": "sha256:v", "stream": "stdout", "data": "#5 0.101 hello\n"}
    assert objects[3]["data"] == "#5 0.102 \ufffd bad byte\n"


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_archive_then_expiry_falls_back_transparently(
    bus: LogBus, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "s3":
        bus.store = object_store_from_settings(request.getfixturevalue("s3_settings"))
        bus.store.ensure_bucket()
    entries = _lines(40) + [Entry(LOG, b"\x00\xfe binary", stream="stderr")]
    bus.append("b9", entries)
    with pytest.raises(LogNotEnded):
        bus.archive("b9")
    bus.end("b9", "succeeded")
    live = list(bus.read("b9"))
    key = bus.archive("b9")
    assert 0 < bus.redis.ttl(bus.stream_key("b9")) <= bus.archived_ttl_s
    assert bus.stats("b9").archived
    with bus.store.open(key) as raw:
        assert len(gzip.decompress(raw.read()).splitlines()) == len(live)
    _expire_now(bus, "b9")
    assert list(bus.read("b9")) == live
    assert list(bus.read("b9", from_seq=30)) == live[29:]
    assert list(bus.follow("b9", from_seq=41)) == live[40:]


def test_follower_crosses_from_stream_to_archive_mid_read(bus: LogBus) -> None:
    bus.append("b10", _lines(2500))
    bus.end("b10", "succeeded")
    follower = bus.follow("b10", block_ms=100)
    seen = [next(follower).seq for _ in range(1200)]
    bus.archive("b10")
    _expire_now(bus, "b10")
    seen += [e.seq for e in follower]
    assert seen == list(range(1, 2502))


def test_follower_waits_for_a_build_that_has_not_logged_yet(bus: LogBus) -> None:
    got: list[int] = []
    reader = threading.Thread(
        target=lambda: got.extend(e.seq for e in bus.follow("b11", block_ms=100)))
    reader.start()
    threading.Event().wait(0.3)
    bus.append("b11", _lines(3))
    bus.end("b11", "succeeded")
    reader.join(timeout=30)
    assert got == [1, 2, 3, 4]
