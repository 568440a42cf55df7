"""Oversized and deeply nested YAML, anchor/alias bombs: rejected with a located error
and bounded memory.

Each document is built and loaded in a fresh Python process that reports its own
peak RSS (``VmHWM``), so one case's allocations cannot hide another's.  The bound
is generous (200 MB for a loader that should stay near the interpreter's own size);
a loader that expanded aliases or materialised a 100 000-deep tree would blow far
past it.  Nothing here is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.config import REPO_ROOT

PEAK_RSS_LIMIT_MB = 200

CHILD = r"""
import json, sys
from llb import RecipeError, load_recipe

def peak_mb():
    # VmHWM belongs to this process image (ru_maxrss would carry the forking
    # parent's high-water mark across exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

text = BOMBS[sys.argv[1]]()
try:
    load_recipe(text, "bomb.yaml")
    outcome = {"accepted": True}
except RecipeError as exc:
    d = exc.diagnostics[0]
    outcome = {"accepted": False, "line": d.line, "message": d.message}
outcome["peak_mb"] = peak_mb()
outcome["text_mb"] = len(text) / 1e6
print(json.dumps(outcome))
"""

BOMBS = r"""
def laughs():
    lines = ['version: "3"', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"

def merge_keys():
    lines = ['version: "3"', "b0: &b0 {x: 1, y: 2}"]
    lines += [f"b{i}: &b{i} {{<<: [*b{i - 1}, *b{i - 1}], k{i}: v}}" for i in range(1, 30)]
    return "\n".join(lines) + "\n"

def flow_sequences():
    return 'version: "3"\nbuild: ' + "[" * 200_000 + "]" * 200_000 + "\n"

def flow_mappings():
    return 'version: "3"\nbuild: ' + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n"

def block_indent():
    return 'version: "3"\n' + "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n"

def huge_document():
    step = "    - type: command\n      command: echo " + "x" * 1000 + "\n"
    return 'version: "3"\nbuild:\n  steps:\n' + step * 20_000

def huge_scalar():
    head = 'version: "3"\nbuild:\n  steps:\n    - type: command\n      command: "'
    return head + "y" * 20_000_000 + '"\n'

def many_values():
    return 'version: "3"\nx: [' + ",".join(["1"] * 2_000_000) + "]\n"

BOMBS = {name: fn for name, fn in list(globals().items())
         if callable(fn) and not name.startswith("_")}
"""

CASES = {
    "laughs": "anchors and aliases are not supported",
    "merge_keys": "anchors and aliases are not supported",
    "flow_sequences": "nests deeper than",
    "flow_mappings": "nests deeper than",
    "block_indent": "nests deeper than",
    "huge_document": "bytes; at most",
    "huge_scalar": "bytes; at most",
    "many_values": "bytes; at most",
}


def load_in_child(case: str) -> dict:
    program = BOMBS + CHILD
    proc = subprocess.run([sys.executable, "-c", program, case], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_bomb_is_rejected_at_a_line_with_bounded_memory(case):
    outcome = load_in_child(case)
    print(f"{case}: {outcome}")
    assert not outcome["accepted"], f"{case} was accepted"
    assert outcome["line"] >= 1
    assert CASES[case] in outcome["message"], outcome
    assert outcome["peak_mb"] < PEAK_RSS_LIMIT_MB, outcome


def test_an_ordinary_recipe_loads_in_the_same_harness():
    """The child harness itself works: a small valid recipe is accepted (so the
    rejections above are the loader's doing, not a broken harness)."""
    program = BOMBS.replace("BOMBS = {", "BOMBS = {'ok': lambda: 'version: \"3\"\\n', **{") \
        .rstrip() + "}\n" + CHILD
    proc = subprocess.run([sys.executable, "-c", program, "ok"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcome["accepted"] and outcome["peak_mb"] < PEAK_RSS_LIMIT_MB
