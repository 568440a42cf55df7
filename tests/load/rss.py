"""Peak resident memory (and thread count) of running processes, sampled in a thread
with psutil."""

from __future__ import annotations

import threading
from collections import defaultdict

import psutil


class PeakRss(threading.Thread):
    """Samples every ``interval`` seconds the RSS of each named process, and of its
    children for the names in ``trees`` (a prefork Celery worker's pool processes),
    keeping the peaks: per process, and of each name's processes at one instant."""

    def __init__(self, pids: dict[str, int], trees: set[str] = frozenset(),
                 interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pids, self.trees, self.interval = pids, set(trees), interval
        self.process_peak: dict[str, int] = defaultdict(int)  # "name pid" -> bytes
        self.tree_peak: dict[str, int] = defaultdict(int)      # name -> bytes
        self.thread_peak: dict[str, int] = defaultdict(int)    # "name pid" -> threads
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        for name, pid in list(self.pids.items()):  # the test adds pids while it runs
            try:
                root = psutil.Process(pid)
                tree = [root, *(root.children(recursive=True) if name in self.trees else [])]
            except psutil.NoSuchProcess:
                continue
            total = 0
            for proc in tree:
                try:
                    rss, threads = proc.memory_info().rss, proc.num_threads()
                except psutil.NoSuchProcess:
                    continue
                total += rss
                key = f"{name} pid {proc.pid}"
                self.process_peak[key] = max(self.process_peak[key], rss)
                self.thread_peak[key] = max(self.thread_peak[key], threads)
            self.tree_peak[name] = max(self.tree_peak[name], total)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
        self.sample()
