"""Throughput of dzlaunch's output relay against running the same script directly.

    python -m bench.dzlaunch [--mb 100] [--runs 5]

Each workload runs its script once with the shell command line dzlaunch would use
("raw") and through ``dzlaunch --mode build``: without secrets, with 3 secret files
and with 30 (redaction active; each secret adds its base64 forms as patterns); this
process reads stdout in 1 MiB reads in every case and counts bytes and lines. Best of
--runs. Target (issue 4): dzlaunch relays at least 80 % of raw throughput.

Workloads:
  generated   the script produces its lines (awk), as build tools do: the target applies.
  cat-file    ``cat`` of a cached file: the producer costs nothing, so the run measures
              pipe hops alone. An extra ``| cat`` hop is shown as the floor that any
              relay which inspects the bytes pays; compare dzlaunch with that row.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench.report import Row, command_line
from core.config import REPO_ROOT

SHELL = "/bin/bash -o errexit -o pipefail {}"
TARGET = 0.80
LINE = "0123456789abcdefghijklmnopqrstuvwxyz" * 2 + "01234567"  # 80 bytes + newline


def payload(script: str, secret_files: list[tuple[str, str]]) -> str:
    obj = {
        "v": 1,
        "id": "1-build-step-0",
        "phase": "build",
        "name": "bench",
        "script": script,
        "shell": SHELL,
        "directory": "/tmp",
        "user": "root",
        "secret_files": dict(secret_files),
    }
    text = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    return base64.b64encode(text).decode()


def timed_read(argv: list[str]) -> tuple[float, int, int]:
    """(seconds, bytes, lines) of reading argv's stdout to the end."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    total = lines = 0
    while chunk := proc.stdout.read1(1 << 20):
        total += len(chunk)
        lines += chunk.count(b"\n")
    proc.wait()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}")
    return elapsed, total, lines


def best_of(runs: int, modes: dict[str, list[str]]) -> dict[str, tuple[float, int, int]]:
    """Best run per mode; modes take turns so a burst of load on the shared
    machine hits them alike instead of skewing one."""
    best: dict[str, tuple[float, int, int]] = {}
    for argv in modes.values():  # warm up: the first run of each pays for cold caches
        timed_read(argv)
    for _ in range(runs):
        for mode, argv in modes.items():
            result = timed_read(argv)
            best[mode] = min(best.get(mode, result), result)
    return best


def workloads(tmp: Path, megabytes: int) -> dict[str, str]:
    count = megabytes * 1_000_000 // (len(LINE) + 1)
    data = tmp / "input.txt"
    with data.open("w") as f:
        block = (LINE + "\n") * 1000
        for _ in range(count // 1000):
            f.write(block)
    return {
        "generated": f"awk 'BEGIN {{ for (i = 0; i < {count}; i++) print \"{LINE}\" }}'\n",
        "cat-file": f"cat {data}\n",
    }


def measure(binary: str, tmp: Path, name: str, script: str, secrets: list, runs: int) -> list:
    path = tmp / f"{name}.sh"
    path.write_text(script)
    modes = {
        "raw": SHELL.replace("{}", str(path)).split(),
        "dzlaunch": [binary, "--mode", "build", payload(script, [])],
        "dzlaunch+3 secrets": [binary, "--mode", "build", payload(script, secrets[:3])],
        "dzlaunch+30 secrets": [binary, "--mode", "build", payload(script, secrets)],
    }
    if name == "cat-file":
        modes["raw | cat"] = ["/bin/bash", "-o", "pipefail", "-c", f"{SHELL[:-2]} {path} | cat"]
    results = best_of(runs, modes)
    raw_s, _, _ = results["raw"]
    rows = []
    for mode, (seconds, total, lines) in results.items():
        applies = name == "generated" and mode.startswith("dzlaunch")
        ratio = raw_s / seconds
        for metric, value, unit in (
            ("MB/s", total / seconds / 1e6, "MB/s"),
            ("lines/s", lines / seconds, "lines/s"),
        ):
            rows.append(
                Row(
                    bench="dzlaunch",
                    metric=f"{name} {mode} {metric}",
                    value=value,
                    unit=unit,
                    baseline=value / ratio,
                    baseline_name="raw",
                    target=f">= {TARGET:.0%} of raw" if applies else "",
                    met=ratio >= TARGET if applies else None,
                )
            )
    return rows


def run(megabytes: int = 100, runs: int = 5) -> list[Row]:
    subprocess.run(["make", "-s", "-C", str(REPO_ROOT / "dzlaunch")], check=True)
    binary = str(REPO_ROOT / "dzlaunch" / "out" / "dzlaunch")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        secrets = []
        refs = ["team.NPM_TOKEN", "team.DB_PASSWORD", "devzero.GITHUB_ACCESS_TOKEN"]
        refs += [f"team.SERVICE_{n}_TOKEN" for n in range(27)]
        for ref in refs:
            (tmp / ref).write_text(f"value-of-{ref}-never-printed")
            secrets.append((ref, str(tmp / ref)))
        for workload, script in workloads(tmp, megabytes).items():
            rows += measure(binary, tmp, workload, script, secrets, runs)
    return rows


if __name__ == "__main__":
    command_line(run, "dzlaunch relay throughput", __doc__)
