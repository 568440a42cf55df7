"""``make bench`` (``python -m bench``): every benchmark side by side, one table, one JSON.

Each module under ``bench/`` exposes ``run() -> list[Row]`` measuring its figure and
the baseline in the same run.  A module that cannot run (a service is down, the
module is not written yet) adds a row saying why instead of stopping the others;
the exit status is 1 when any module failed and 2 when a full-size run missed a
target row, so CI and whoever runs it notice.

    python -m bench [--only overhead,rebuild] [--quick] [--results DIR]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from bench.report import RESULTS, Row, machine, show, write

#: Run order: cheap, service-free figures first; the whole-system ones last.  Rows
#: measured against a Docker CLI run on the stack's dockerd (Docker's embedded
#: BuildKit, pinned with ``bench.system.docker_settings``); the ``*_buildkitd`` and
#: ``rebuild_hosts`` rows on private buildkitds of the pinned release, against buildctl.
MODULES = ("compile", "dzlaunch", "solve", "solve_buildkitd", "cancel", "logbus", "queue",
           "logpath", "overhead", "overhead_buildkitd", "rebuild", "rebuild_hosts", "scaleout",
           "registry_reuse", "push", "coldbuild")
#: Smaller sizes for a quick look (``--quick``); the defaults are what the docs quote.
QUICK = {"dzlaunch": {"megabytes": 20, "runs": 2}, "solve": {"runs": 1},
         "solve_buildkitd": {"runs": 1, "steps": 4}, "overhead": {"runs": 1},
         "overhead_buildkitd": {"runs": 1}, "rebuild": {"runs": 2}, "rebuild_hosts": {"runs": 1},
         "logpath": {"lines": 20_000}, "scaleout": {"builds": 8}, "registry_reuse": {"runs": 5},
         "push": {"runs": 1}, "compile": {"fresh": 1}, "coldbuild": {"runs": 1, "packages": "jq"}}


def run_module(name: str, quick: bool) -> tuple[list[Row], bool]:
    """The module's rows, and whether it ran to the end."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"bench.{name}":
            return [], True  # an optional bench nobody has written: nothing to report
        raise
    if not hasattr(module, "run"):
        return [Row(name, "not run", 0.0, "", notes="module has no run()")], False
    started = time.perf_counter()
    try:
        rows = module.run(**(QUICK.get(name, {}) if quick else {}))
    except Exception as err:  # one broken bench must not hide the others' figures
        traceback.print_exc()
        return [Row(name, "failed", 0.0, "", notes=f"{type(err).__name__}: {err}"[:200])], False
    print(f"bench.{name}: {len(rows)} rows in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)
    return rows, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help=f"where the JSON goes (default {RESULTS.name}/ beside this file)")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(MODULES)
    rows: list[Row] = []
    ok = True
    before = machine()
    print(f"machine: {before}", file=sys.stderr)
    for name in names:
        module_rows, module_ok = run_module(name, args.quick)
        rows += module_rows
        ok &= module_ok
    show(rows, "recipe-builder benchmarks")
    print(f"results written to {write(rows, directory=args.results, machine_before=before)}")
    return exit_status(rows, ok, args.quick)


def exit_status(rows: list[Row], ran: bool, quick: bool) -> int:
    """1: a module failed; 2: a target row was missed (judged only on full-size runs:
    ``--quick`` is CI's smoke test, too small to judge); 0 otherwise."""
    if not ran:
        return 1
    missed = [r for r in rows if r.met is False]
    for r in missed:
        print(f"target missed: {r.bench}: {r.metric} = {r.value:.4g} {r.unit} "
              f"(target {r.target})", file=sys.stderr)
    return 2 if missed and not quick else 0


if __name__ == "__main__":
    sys.exit(main())
