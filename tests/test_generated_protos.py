"""The committed protobuf modules are exactly what scripts/gen-protos produces now.

A .proto edited without regenerating (or a generated file edited by hand) fails here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.config import REPO_ROOT

PB_DIRS = ("llb/pb", "buildkit/pb")
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def _generated(root: Path) -> dict[str, bytes]:
    files = {}
    for pb_dir in PB_DIRS:
        base = root / pb_dir
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if path.name.endswith(GENERATED_SUFFIXES):
                    files[f"{pb_dir}/{path.name}"] = path.read_bytes()
    return files


def test_generated_protos_are_fresh(tmp_path):
    subprocess.run([str(REPO_ROOT / "scripts" / "gen-protos"), str(tmp_path)], check=True)
    fresh = _generated(tmp_path)
    committed = _generated(REPO_ROOT)
    assert "llb/pb/ops_pb2.py" in fresh
    stale = sorted(name for name in fresh if committed.get(name) != fresh[name])
    leftovers = sorted(set(committed) - set(fresh))
    assert not stale, f"regenerate with scripts/gen-protos: {stale}"
    assert not leftovers, f"generated modules without a .proto: {leftovers}"
