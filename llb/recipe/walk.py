"""Walk the plain-data form of a recipe: its env lists and reference-bearing texts.

Works on the loader's raw data (tolerating wrong types, so semantic checks can run
even when the schema failed) and on ``Recipe.model_dump()`` alike; paths line up
with the source map because neither reorders lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from llb.recipe.source import Path

# Scopes: "build" rules apply to top-level env too, since it feeds the build.
BUILD, LAUNCH, RUNTIME, CONFIG = "build", "launch", "runtime", "config"


@dataclass(frozen=True)
class Text:
    """A string that may hold references, where it sits, and which scope it feeds."""

    path: Path
    text: str
    scope: str
    kind: str  # env | content | secret_mount | credentials


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def phase_steps(data: dict, phase: str) -> Iterator[tuple[Path, dict]]:
    for index, step in enumerate(_list(_dict(data.get(phase)).get("steps"))):
        if isinstance(step, dict):
            yield (phase, "steps", index), step


def env_lists(data: object) -> Iterator[tuple[Path, list, str]]:
    """Every environment list with its path and scope."""
    data = _dict(data)
    yield ("environment",), _list(data.get("environment")), BUILD
    for phase in (BUILD, LAUNCH):
        yield (phase, "environment"), _list(_dict(data.get(phase)).get("environment")), phase
        for path, step in phase_steps(data, phase):
            yield path + ("environment",), _list(step.get("environment")), phase
    yield ("runtime", "environment"), _list(_dict(data.get("runtime")).get("environment")), RUNTIME


def texts(data: object) -> Iterator[Text]:
    """Every string where references are allowed."""
    data = _dict(data)
    for path, items, scope in env_lists(data):
        for index, item in enumerate(items):
            value = _dict(item).get("value")
            if isinstance(value, str):
                yield Text(path + (index, "value"), value, scope, "env")
    for phase in (BUILD, LAUNCH):
        for path, step in phase_steps(data, phase):
            if step.get("type") == "file" and isinstance(step.get("content"), str):
                yield Text(path + ("content",), step["content"], phase, "content")
            for index, mount in enumerate(_list(step.get("secret_mounts"))):
                value = _dict(mount).get("value")
                if isinstance(value, str):
                    yield Text(
                        path + ("secret_mounts", index, "value"), value, phase, "secret_mount"
                    )
            value = _dict(step.get("credentials")).get("value")
            if isinstance(value, str):
                yield Text(path + ("credentials", "value"), value, phase, "credentials")
    value = _dict(_dict(data.get("config")).get("code_clone_credentials")).get("value")
    if isinstance(value, str):
        yield Text(("config", "code_clone_credentials", "value"), value, CONFIG, "credentials")
