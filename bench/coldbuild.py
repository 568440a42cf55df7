"""A cold build of a one-apt-step recipe: where its time goes, and the share of the push.

The build goes through the whole pipeline on the default engine (the stack's
buildkitd): compile and buildqd workers, the team's registry cache, the push.  A new
build-environment value each round makes the apt step (and what follows) cold, as a
recipe edit does; the base image and the launcher layers stay warm, as they are on
any working builder.  The shares come from the build's own structured log:

* steps: first vertex start to the last recipe step's end;
* export + push: "exporting to image" start to the push step's end (the exporter
  compresses the new layers, then pushes them; the cache export runs beside it).

Target: export + push ≤ 25 % of the build (submit to succeeded).

Usage: .venv/bin/python -m bench.coldbuild [--runs 2] [--packages gcc] [--compression zstd]
"""

from __future__ import annotations

import json
import statistics
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

from bench.report import Row, command_line
from core.config import Settings
from core.db import BuildState
from tests.tasks.harness import ensure_dzlaunch_image, make_pipeline

EXPORTER = "exporting to image"


def recipe(packages: str, token: str) -> str:
    return f"""version: "3"
build:
  environment:
    - name: BENCH_ROUND
      value: "{token}"
  steps:
    - type: apt-get
      name: tools
      packages: [{packages}]
"""


def shares(records: list[dict], total_s: float) -> dict[str, float]:
    """Seconds of the apt step and of export + push, from one build's vertex records."""
    def when(record: dict, key: str) -> datetime:
        return datetime.fromisoformat(record[key])

    done = {r["name"]: r for r in records if r["type"] == "vertex.completed"}
    step = next(r for name, r in done.items() if name.startswith("[build "))
    push = next(r for name, r in done.items() if name.startswith("[push] "))
    export_start = when(done[EXPORTER], "started")
    return {"total": total_s,
            "apt step": (when(step, "completed") - when(step, "started")).total_seconds(),
            "export + push": (when(push, "completed") - export_start).total_seconds()}


def run(runs: int = 2, packages: str = "gcc", compression: str = "") -> list[Row]:
    settings = Settings.from_env()
    if compression:  # else RB_LAYER_COMPRESSION's
        settings = settings.with_overrides(layer_compression=compression)
    ensure_dzlaunch_image(settings)
    measured: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        pipe = make_pipeline(settings, Path(tmp))
        pipe.start_worker("compile")
        pipe.start_worker("buildqd")
        try:
            team = pipe.team()
            for _ in range(runs):
                build_id = pipe.submit(team, recipe(packages, uuid.uuid4().hex))
                build = pipe.wait(build_id, timeout=1200)
                if build.state is not BuildState.SUCCEEDED:
                    raise RuntimeError(f"the cold build failed: {build.error_message}")
                pipe.log_text(build_id)  # waits for the log's end
                records = [json.loads(e.text) for e in pipe.services.bus.read(build_id)
                           if e.kind == "vertex"]
                total = (build.finished_at - build.queued_at).total_seconds()
                measured.append(shares(records, total))
        finally:
            pipe.stop()
    share = [m["export + push"] / m["total"] * 100 for m in measured]
    median = statistics.median(share)
    spread = ", ".join(f"{m['export + push']:.1f} of {m['total']:.1f} s "
                       f"(apt step {m['apt step']:.1f} s)" for m in measured)
    return [Row("coldbuild", f"export + push share of a cold one-apt-step build ({packages}, "
                f"{settings.layer_compression} layers, median of {runs})", median, "%",
                target="≤ 25 %", met=median <= 25,
                notes=spread)]


if __name__ == "__main__":
    command_line(run, "cold build", __doc__)
