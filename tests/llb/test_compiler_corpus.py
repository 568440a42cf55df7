"""The compiler's output bytes are pinned: a whole corpus compiles to recorded digests.

``golden/corpus-digests.json`` was recorded from the compiler before its speed work;
any change to a Definition byte, a step digest, a secret id or the image config of
any corpus recipe fails here. Regenerate only for an intended output change, with
``UPDATE_GOLDEN=1 pytest tests/llb -k corpus``, and review why every line moved.
"""

from __future__ import annotations

import json
import os

from core.config import REPO_ROOT
from tests.llb.corpus import GENERATED, fingerprints

GOLDEN = REPO_ROOT / "tests" / "llb" / "golden" / "corpus-digests.json"


def test_corpus_compiles_to_recorded_bytes():
    actual = fingerprints()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    changed = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert not changed, f"{len(changed)} corpus compiles changed, e.g. {changed[:5]}"


def test_corpus_covers_every_recipe_source():
    names = {key.split("/", 1)[0] for key in json.loads(GOLDEN.read_text())}
    assert names == {"shared", "examples", "generated"}
    compiled = [v for v in json.loads(GOLDEN.read_text()).values() if not v.startswith("error:")]
    assert len(compiled) > GENERATED  # most of the corpus compiles, it is not all refusals
