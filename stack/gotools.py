"""The Go programs ``scripts/bootstrap`` builds from ``stack/go`` (buildkitd, buildctl)."""

from __future__ import annotations

from pathlib import Path

from core.config import REPO_ROOT

TOOLS_DIR = REPO_ROOT / ".tools" / "bin"


def binary(name: str) -> Path:
    """Path of a built tool; a clear error when bootstrap has not built it yet."""
    path = TOOLS_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run scripts/bootstrap to build it")
    return path
