"""The layers point one way (docs/design.md): checked by import-linter on the real tree."""

from __future__ import annotations

import subprocess

from core.config import REPO_ROOT


def test_import_contracts_hold():
    result = subprocess.run([str(REPO_ROOT / ".venv/bin/lint-imports")], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: " in result.stdout and " broken" in result.stdout
    assert "0 broken" in result.stdout


def test_the_tree_is_ruff_clean():
    result = subprocess.run([str(REPO_ROOT / ".venv/bin/ruff"), "check", "--no-cache", "."],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]
