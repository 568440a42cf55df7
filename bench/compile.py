"""Compile speed: ms per compile of a 100-step and a 10-step recipe, and ops/s.

Target (issue 3): a 100-step recipe compiles in under 10 ms. Prints figures and
the ratio to the target; never asserts (speed is not checked by tests).  The
baseline, measured in the same run, is ``yaml.safe_load`` of the same text: the
floor any recipe tool pays before it can do anything.

    python -m bench.compile [--rounds N]
"""

from __future__ import annotations

import time

import yaml

from bench.report import Row, command_line
from llb import CompileInputs, TeamNames, compile_recipe, load_recipe
from llb.graph.definition import Definition

TARGET_MS_100 = 10.0
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


def recipe_text(steps: int) -> str:
    body = "".join(_KINDS[i % len(_KINDS)].format(i=i) for i in range(steps))
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


def run(rounds: int = 50) -> list[Row]:
    rows = []
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
