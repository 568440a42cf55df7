"""Log bus throughput and latency: one producer at full speed, N followers.

The producer appends batches of lines to one build's log the way the build
worker's LogWriter does; each reader (its own process) follows the log from the
first sequence to the END event.  Prints lines/s, p50/p99 delivery latency
(append time → reader receipt) and lost or duplicated lines per reader.
Targets: >= 50 000 lines/s, p99 < 50 ms, 0 lost.

Usage: .venv/bin/python bench/logbus.py [--lines 200000] [--readers 4] [--batch 200]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
import uuid
from pathlib import Path

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
    latencies, seqs = [], []
    ready.set()
    for event in bus.follow(build_id, block_ms=100):
        now = time.time()
        if event.kind == LOG:
            latencies.append(now - event.time)
        seqs.append(event.seq)
    results.put((latencies, seqs))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    settings = Settings.from_env()
    prefix, build_id = f"bench-{uuid.uuid4().hex[:8]}", f"build-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as archive:
        ctx = mp.get_context("fork")
        results, readies = ctx.Queue(), [ctx.Event() for _ in range(args.readers)]
        procs = [ctx.Process(target=reader, args=(settings, Path(archive), prefix, build_id,
                                                  readies[i], results))
                 for i in range(args.readers)]
        for proc in procs:
            proc.start()
        for ready in readies:
            ready.wait(30)
        bus = make_bus(settings, Path(archive), prefix)
        line = b"#5 0.123 " + b"x" * 70 + b"\n"
        start = time.perf_counter()
        for first in range(0, args.lines, args.batch):
            count = min(args.batch, args.lines - first)
            now = time.time()
            bus.append(build_id, [Entry(LOG, line, vertex="v", stream="stdout", time=now)
                                  for _ in range(count)])
        bus.append(build_id, [Entry(END, "succeeded")])
        elapsed = time.perf_counter() - start
        gathered = [results.get(timeout=300) for _ in procs]
        for proc in procs:
            proc.join(30)
        bus.redis.delete(bus.stream_key(build_id), bus.meta_key(build_id))

    rate = args.lines / elapsed
    print(f"producer: {args.lines} lines in {elapsed:.2f}s = {rate:,.0f} lines/s "
          f"(target >= 50,000; ratio {rate / 50_000:.2f})")
    expected = list(range(1, args.lines + 2))
    for i, (latencies, seqs) in enumerate(gathered):
        lost = len(set(expected) - set(seqs))
        dupes = len(seqs) - len(set(seqs))
        p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
        print(f"reader {i}: {len(latencies)} lines, p50 {p50:.1f} ms, p99 {p99:.1f} ms "
              f"(target < 50; ratio {p99 / 50:.2f}), lost {lost}, duplicated {dupes}, "
              f"in order {seqs == sorted(seqs)}")
    all_p99 = statistics.median(percentile(lat, 0.99) for lat, _ in gathered) * 1000
    print(f"median p99 over readers: {all_p99:.1f} ms")


if __name__ == "__main__":
    main()
