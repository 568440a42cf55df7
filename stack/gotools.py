"""The Go programs ``scripts/bootstrap`` builds from ``stack/go`` (buildkitd, buildctl)."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import REPO_ROOT

TOOLS_DIR = REPO_ROOT / ".tools" / "bin"
GO_MOD = REPO_ROOT / "stack" / "go" / "go.mod"
BUILDKIT_MODULE = "github.com/moby/buildkit"


def binary(name: str) -> Path:
    """Path of a built tool; a clear error when bootstrap has not built it yet."""
    path = TOOLS_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run scripts/bootstrap to build it")
    return path


def pinned_version(module: str = BUILDKIT_MODULE) -> str:
    """The version ``stack/go/go.mod`` pins for ``module`` (e.g. ``v0.35.0``)."""
    match = re.search(rf"^\s*{re.escape(module)} (v\S+)", GO_MOD.read_text(), re.MULTILINE)
    if not match:
        raise LookupError(f"{module} is not pinned in {GO_MOD}")
    return match.group(1)
