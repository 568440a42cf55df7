"""One row format for every benchmark, one table on the terminal, JSON on disk.

Each ``bench/<name>.py`` exposes ``run() -> list[Row]`` and, run alone, prints its own
rows; ``python -m bench`` (``make bench``) runs them all side by side and writes
``bench/results/<UTC time>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import time
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


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(),
            "machine": platform.machine(), "kernel": platform.release()}


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


def write(rows: list[Row], name: str = "all", directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = directory / f"{name}-{stamp}.json"
    payload = {"machine": machine(), "time": stamp,
               "rows": [{**asdict(r), "ratio": r.ratio} for r in rows]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
