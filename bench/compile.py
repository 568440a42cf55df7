"""Compile speed: ms per compile of a 100-step and a 10-step recipe, and instructions.

Target (issue 3): a 100-step recipe compiles in under 10 ms. Target (issue 20): a
100-step compile costs at most 33 M instructions, counted by callgrind so the figure
does not move with the machine's load. Prints figures and the ratio to the target;
never asserts (speed is not checked by tests). The baseline of the ms rows, measured
in the same run, is ``yaml.safe_load`` of the same text: the floor any recipe tool
pays before it can do anything.

How instructions are counted: callgrind cannot start and stop around a Python call
from Python, so two child interpreters run under ``valgrind --tool=callgrind`` with
the same set-up (imports, loading every recipe, one warm-up compile of a recipe of
its own). One then compiles N fresh 100-step recipes, each with text no other
compile in the process saw (no cache can serve it), the other does nothing more;
the difference of their totals divided by N is the instructions per compile. Hash
randomisation is fixed so both children run the same code path.

    python -m bench.compile [--rounds N] [--fresh N]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

from bench.report import Row, command_line
from llb import CompileInputs, TeamNames, compile_recipe, load_recipe
from llb.graph.definition import Definition

TARGET_MS_100 = 10.0
TARGET_INSTRUCTIONS_100 = 33e6
INPUTS = CompileInputs(
    base_image="127.0.0.1:5000/library/devbox@sha256:" + "1" * 64,
    dzlaunch_image="127.0.0.1:5000/library/dzlaunch@sha256:" + "2" * 64,
    team=TeamNames(variables={"URL": "https://x"}, secrets={"TOKEN": "4"}),
    team_namespace="team-a",
)
_KINDS = [
    '    - type: command\n      name: step {i}\n      command: |\n        echo "step {i}"\n'
    "        make -C /src target-{i}\n      environment:\n"
    '        - {{name: TOKEN, value: "{{{{secret:team.TOKEN}}}}"}}\n',
    "    - type: apt-get\n      packages: [pkg-{i}, tool-{i}]\n",
    '    - type: file\n      path: /etc/app/{i}.conf\n      content: "n = {i}"\n',
    "    - type: directory\n      path: /srv/d{i}\n      user: devzero\n",
]


def recipe_text(steps: int, variant: str = "") -> str:
    """The bench recipe; ``variant`` (e.g. ``r3-``) makes every step's text new."""
    body = "".join(_KINDS[i % len(_KINDS)].format(i=variant + str(i)) for i in range(steps))
    return (
        'version: "3"\nbuild:\n  environment:\n    - {name: URL, value: '
        '"{{secret:team.URL}}"}\n  steps:\n' + body
    )


def measure(steps: int, rounds: int) -> tuple[float, float, int]:
    """(ms per compile, ms per load+compile, ops per Definition)."""
    text = recipe_text(steps)
    recipe = load_recipe(text, "bench.yaml")
    ops = len(Definition.from_bytes(compile_recipe(recipe, INPUTS).definition))
    started = time.perf_counter()
    for _ in range(rounds):
        compile_recipe(recipe, INPUTS)
    compile_ms = (time.perf_counter() - started) * 1000 / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        compile_recipe(load_recipe(text, "bench.yaml"), INPUTS)
    total_ms = (time.perf_counter() - started) * 1000 / rounds
    return compile_ms, total_ms, ops


def yaml_floor_ms(steps: int, rounds: int) -> float:
    """ms per safe YAML load (libyaml when present) of the same text (the baseline)."""
    text = recipe_text(steps)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    started = time.perf_counter()
    for _ in range(rounds):
        yaml.load(text, Loader=loader)  # noqa: S506  (a safe loader)
    return (time.perf_counter() - started) * 1000 / rounds


def child(fresh: int, compiles: bool) -> None:
    """The body of one callgrind child (see the module docstring)."""
    recipes = [load_recipe(recipe_text(100, f"r{n}-"), "bench.yaml") for n in range(fresh + 1)]
    compile_recipe(recipes[0], INPUTS)  # warm-up: imports and one-time tables, in both
    if compiles:
        for recipe in recipes[1:]:
            compile_recipe(recipe, INPUTS)


def _callgrind_total(fresh: int, compiles: bool) -> int:
    """Instructions (callgrind's ``Ir``) of a whole child interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        code = f"from bench.compile import child; child({fresh}, {compiles})"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, "-c", code],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"},
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # imports bench
        )
        with open(out) as f:
            totals = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.MULTILINE)
    return int(totals.group(1))


def instructions_per_compile(fresh: int) -> float | None:
    """Callgrind instructions of one fresh 100-step compile; None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    return (_callgrind_total(fresh, True) - _callgrind_total(fresh, False)) / fresh


def run(rounds: int = 50, fresh: int = 4) -> list[Row]:
    rows = []
    instructions = instructions_per_compile(fresh) if fresh > 0 else None
    if instructions is not None:
        rows.append(Row("compile", f"100-step compile, instructions (callgrind, {fresh} fresh)",
                        instructions / 1e6, "M instr", target="<= 33M instructions",
                        met=instructions <= TARGET_INSTRUCTIONS_100))
    else:
        print("valgrind not found: no instruction count", file=sys.stderr)
    for steps in (10, 100):
        compile_ms, total_ms, ops = measure(steps, rounds)
        floor = yaml_floor_ms(steps, rounds)
        target = f"< {TARGET_MS_100:.0f} ms" if steps == 100 else ""
        met = compile_ms < TARGET_MS_100 if steps == 100 else None
        rows.append(Row("compile", f"{steps}-step compile ({ops} ops)", compile_ms, "ms",
                        floor, "YAML load", target, met))
        rows.append(Row("compile", f"{steps}-step load+compile", total_ms, "ms",
                        floor, "YAML load"))
    return rows


if __name__ == "__main__":
    command_line(run, "compile", __doc__)
