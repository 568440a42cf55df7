"""Fixtures for the dzlaunch tests: build the binary once, encode payloads, run it.

Every test runs the real static binary from ``dzlaunch/out/dzlaunch``; the payload
names absolute paths, so secret files, manifests and status files live in tmp dirs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import REPO_ROOT

DZLAUNCH_DIR = REPO_ROOT / "dzlaunch"
HEADER = re.compile(rb"^==> \[(?P<id>[^\]]+)\] (?P<name>.*)$")
SUMMARY = re.compile(rb"^==> \[(?P<id>[^\]]+)\] exit (?P<exit>\d+) in (?P<secs>\d+\.\d{3})s$")


def canonical(obj: object) -> bytes:
    """The compiler's canonical JSON: sorted keys, compact separators, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def step(**fields: object) -> dict:
    """A valid version-1 step payload object; keyword arguments override fields."""
    base = {
        "v": 1,
        "id": "1-build-step-0",
        "phase": "build",
        "name": "test step",
        "script": "true\n",
        "shell": "/bin/bash -o errexit -o pipefail {}",
        "directory": "/tmp",
        "user": "root",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def encode(obj: object) -> str:
    return base64.b64encode(canonical(obj)).decode()


def body(stdout: bytes) -> bytes:
    """stdout without the header (first line) and the summary (last line)."""
    lines = stdout.split(b"\n")
    assert HEADER.match(lines[0]), lines[0][:200]
    assert lines[-1] == b"", "stdout must end with a newline"
    assert SUMMARY.match(lines[-2]), lines[-2][:200]
    first = len(lines[0]) + 1
    last = len(lines[-2]) + 1
    return stdout[first : len(stdout) - last]


@pytest.fixture(scope="session")
def dzlaunch() -> Path:
    """The freshly built launcher (``make -C dzlaunch``).

    ``DZLAUNCH_BINARY`` runs the suite against another build of the same sources,
    e.g. the sanitizer build from ``make -C dzlaunch asan``.
    """
    subprocess.run(["make", "-s", "-C", str(DZLAUNCH_DIR)], check=True)
    path = Path(os.environ.get("DZLAUNCH_BINARY") or DZLAUNCH_DIR / "out" / "dzlaunch")
    assert os.access(path, os.X_OK)
    return path


@pytest.fixture()
def run_build(dzlaunch: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Runs ``dzlaunch --mode build`` on a step built from keyword overrides."""

    def run(proc_env: dict | None = None, timeout: float = 120, **fields: object):
        payload = encode(step(**fields))
        return subprocess.run(
            [str(dzlaunch), "--mode", "build", payload],
            capture_output=True,
            env=proc_env,
            timeout=timeout,
        )

    return run


@pytest.fixture()
def run_launch(dzlaunch: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Writes a manifest of the given steps and runs ``dzlaunch --mode launch`` on it."""
    manifest = tmp_path / "startup-scripts" / "launch.json"
    status = tmp_path / "state" / "launch-status.json"

    def run(steps: list[dict] | None, *extra: str, raw: bytes | None = None):
        manifest.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            manifest.write_bytes(raw)
        elif steps is not None:
            manifest.write_bytes(canonical({"v": 1, "steps": steps, "volumes": []}))
        argv = [str(dzlaunch), "--mode", "launch", "--manifest", str(manifest)]
        argv += ["--status-file", str(status), *extra]
        proc = subprocess.run(argv, capture_output=True, timeout=120)
        proc.status_path = status  # type: ignore[attr-defined]
        return proc

    return run


@pytest.fixture(scope="session")
def make_step() -> Callable[..., dict]:
    return step


@pytest.fixture(scope="session")
def encode_payload() -> Callable[[object], str]:
    return encode


@pytest.fixture(scope="session")
def relayed() -> Callable[[bytes], bytes]:
    """Strips header and summary from a step's stdout (asserting both are there)."""
    return body


@pytest.fixture(scope="session")
def summary_re() -> re.Pattern:
    return SUMMARY
