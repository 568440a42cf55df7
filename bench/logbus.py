"""Log bus throughput and latency: one producer at full speed, N followers.

The producer appends batches of single-line entries to one build's log the way the
build worker's LogWriter does (the bus stores each batch's adjacent lines of one
vertex as one chunk); each reader (its own process) follows the log from the first
sequence to the END event.  Lines carry their number, so readers count lost and
duplicated lines by content.  Reports lines/s, p50/p99 delivery latency per line
(append time → reader receipt) and lost or duplicated lines.
Targets: >= 50 000 lines/s, p99 < 50 ms, 0 lost.

Usage: .venv/bin/python -m bench.logbus [--lines 200000] [--readers 4] [--batch 200]
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.report import Row, command_line
from core.clients import redis_client
from core.config import Settings
from core.logbus import LogBus
from core.logevents import END, LOG, Entry
from core.objectstore import LocalObjectStore


def make_bus(settings: Settings, archive: Path, prefix: str) -> LogBus:
    redis = redis_client(settings, socket_timeout=30)
    return LogBus(redis, LocalObjectStore(archive), cap_bytes=1 << 30, prefix=prefix)


def reader(settings, archive, prefix, build_id, ready, results) -> None:
    bus = make_bus(settings, archive, prefix)
    latencies: list[float] = []
    numbers: list[int] = []
    ready.set()
    for event in bus.follow(build_id, block_ms=100):
        if event.kind != LOG:
            continue
        now = time.time()
        for line in event.data.splitlines():
            numbers.append(int(line.split(b" ", 3)[2]))
            latencies.append(now - event.time)
    results.put((latencies, numbers))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(lines: int, readers: int, batch: int) -> tuple[float, list[tuple[list, list]]]:
    settings = Settings.from_env()
    prefix, build_id = f"bench-{uuid.uuid4().hex[:8]}", f"build-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as archive:
        ctx = mp.get_context("fork")
        results, readies = ctx.Queue(), [ctx.Event() for _ in range(readers)]
        procs = [ctx.Process(target=reader, args=(settings, Path(archive), prefix, build_id,
                                                  readies[i], results))
                 for i in range(readers)]
        for proc in procs:
            proc.start()
        for ready in readies:
            ready.wait(30)
        bus = make_bus(settings, Path(archive), prefix)
        padding = b"x" * 60
        start = time.perf_counter()
        for first in range(0, lines, batch):
            now = time.time()
            bus.append(build_id, [Entry(LOG, b"#5 0.123 %d %s\n" % (n, padding), vertex="v",
                                        stream="stdout", time=now)
                                  for n in range(first, min(first + batch, lines))])
        bus.append(build_id, [Entry(END, "succeeded")])
        elapsed = time.perf_counter() - start
        gathered = [results.get(timeout=300) for _ in procs]
        for proc in procs:
            proc.join(30)
        bus.redis.delete(bus.stream_key(build_id), bus.meta_key(build_id))
    return elapsed, gathered


def run(lines: int = 200_000, readers: int = 4, batch: int = 200) -> list[Row]:
    elapsed, gathered = measure(lines, readers, batch)
    rate = lines / elapsed
    p50 = statistics.median(percentile(lat, 0.5) for lat, _ in gathered) * 1000
    p99 = max(percentile(lat, 0.99) for lat, _ in gathered) * 1000
    lost = max(len(set(range(lines)) - set(nums)) for _, nums in gathered)
    dupes = max(len(nums) - len(set(nums)) for _, nums in gathered)
    note = f"{readers} readers, batches of {batch}"
    return [
        Row("logbus", "producer lines/s", rate, "lines/s", target=">= 50000",
            met=rate >= 50_000, notes=note),
        Row("logbus", "p50 latency", p50, "ms", notes="median over readers"),
        Row("logbus", "p99 latency", p99, "ms", target="< 50", met=p99 < 50,
            notes="worst reader"),
        Row("logbus", "lost lines", lost, "lines", target="0", met=lost == 0 and dupes == 0,
            notes=f"duplicated {dupes}"),
    ]


if __name__ == "__main__":
    command_line(run, "log bus", __doc__)
