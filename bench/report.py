"""One row format for every benchmark, one table on the terminal, JSON on disk.

Each ``bench/<name>.py`` exposes ``run() -> list[Row]`` and, run alone, prints its own
rows; ``python -m bench`` (``make bench``) runs them all side by side and writes
``bench/results/<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Row:
    bench: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def cpu_model() -> str:
    """The CPU's model name (Linux), so results from different machines are not compared."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    """What the figures depend on: CPU, cores, and how loaded the machine is right now."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "load_1m": os.getloadavg()[0],
            "python": platform.python_version(), "machine": platform.machine(),
            "kernel": platform.release()}


def table(rows: list[Row], title: str) -> Table:
    t = Table(title=f"{title} — {machine()['cores']} cores")
    for column in ("bench", "metric", "value", "baseline", "ratio", "target", "met"):
        numeric = column in {"value", "baseline", "ratio"}
        t.add_column(column, justify="right" if numeric else "left")
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.3f}"
        base = "" if r.baseline is None else f"{r.baseline:.4g} {r.unit} ({r.baseline_name})"
        met = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[r.met]
        t.add_row(r.bench, r.metric, f"{r.value:.4g} {r.unit}", base, ratio, r.target, met)
    return t


def show(rows: list[Row], title: str = "benchmarks") -> None:
    # Wide enough for every column even when stdout is not a terminal.
    Console(width=180).print(table(rows, title))


def write(rows: list[Row], name: str = "all", directory: Path = RESULTS,
          machine_before: dict | None = None) -> Path:
    """The rows as JSON, with the machine as it was before the run and is now."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = directory / f"{name}-{stamp}.json"
    payload = {"machine": machine(), "machine_before": machine_before, "time": stamp,
               "rows": [{**asdict(r), "ratio": r.ratio} for r in rows]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def command_line(run: Callable[..., list[Row]], title: str, doc: str | None,
                 argv: list[str] | None = None) -> None:
    """Run one bench module alone: ``--<option>`` for each keyword of its ``run()``.

    The options, their types and defaults are read from ``run``'s signature, so a
    module states its knobs once (``python -m bench.queue --runs 20``).
    """
    parser = argparse.ArgumentParser(description=(doc or title).splitlines()[0])
    for name, param in inspect.signature(run).parameters.items():
        default = param.default
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=default,
                            type=type(default) if default is not None else str,
                            help=f"default {default}")
    show(run(**vars(parser.parse_args(argv))), title)
