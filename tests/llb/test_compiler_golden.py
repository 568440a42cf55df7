"""Golden snapshots of every example recipe's compile (ops, payloads, manifest, config).

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/llb -k golden``
and review the diff.
"""

from __future__ import annotations

import base64
import json
import os

import pytest

from core.config import REPO_ROOT
from llb import TeamNames, compile_recipe, load_recipe
from llb.graph.definition import Definition
from tests.llb.compile_helpers import inputs

EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.yaml"))
GOLDEN = REPO_ROOT / "tests" / "llb" / "golden"
TEAM = TeamNames(variables={"REGISTRY_URL": "https://npm.example"}, secrets={"API_TOKEN": "3"})


def snapshot(path) -> dict:
    result = compile_recipe(load_recipe(path.read_text(), path.name), inputs(TEAM))
    definition = Definition.from_bytes(result.definition)
    payloads = {}
    for digest in definition.digests[:-1]:
        op = definition.op(digest)
        if op.WhichOneof("op") == "exec":
            payloads[digest] = json.loads(base64.b64decode(op.exec.meta.args[3]))
    return {
        "steps": [
            {
                "id": s.id,
                "name": s.name,
                "lines": list(s.lines),
                "digest": s.digest,
                "secrets": list(s.secrets),
            }
            for s in result.steps
        ],
        "secret_ids": list(result.secret_ids),
        "image_config": result.image_config,
        "warnings": [w.headline() for w in result.warnings],
        "payloads": payloads,
        "ops": definition.dump(),
    }


def test_there_are_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_golden(path):
    golden = GOLDEN / f"{path.stem}.json"
    actual = json.loads(json.dumps(snapshot(path)))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    assert golden.exists(), f"no golden for {path.name}; run with UPDATE_GOLDEN=1"
    assert actual == json.loads(golden.read_text())
