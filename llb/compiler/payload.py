"""The step payload handed to ``dzlaunch`` (docs/design.md, version 1)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from llb.compiler.constants import PAYLOAD_VERSION

_LABEL_WIDTH = 72


# One encoder for every payload: ``json.dumps`` with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> str:
    """Sorted keys, compact separators, UTF-8 text (no ASCII escaping)."""
    return _CANONICAL.encode(value)


def encode_payload(payload: dict) -> str:
    """Standard base64 (with padding) of the payload's canonical JSON."""
    return base64.b64encode(canonical_json(payload).encode("utf-8")).decode("ascii")


@lru_cache(maxsize=1024)  # a step's label and its payload's name are both its summary
def summary(text: str) -> str:
    """A one-line label: the first line that is not blank or a comment, shortened."""
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line and not line.startswith("#")), "")
    first = first or next((line for line in lines if line), "")
    return first if len(first) <= _LABEL_WIDTH else first[: _LABEL_WIDTH - 1] + "…"


_NO_ENTRIES: Mapping[str, str] = MappingProxyType({})  # a shared, read-only empty default


class Payload(NamedTuple):
    """One step as dzlaunch runs it; ``to_dict`` leaves out empty optional keys.

    A named tuple rather than a frozen dataclass: a compile makes one per step and
    the dataclass ``__init__`` (a guarded ``setattr`` per field) cost more than
    encoding the payload.
    """

    id: str
    phase: str
    name: str
    script: str
    shell: str
    directory: str
    user: str
    env: Mapping[str, str] = _NO_ENTRIES
    secret_env: tuple[tuple[str, str], ...] = ()
    secret_files: Mapping[str, str] = _NO_ENTRIES
    secret_versions: Mapping[str, str] = _NO_ENTRIES

    def to_dict(self) -> dict:
        data: dict = {
            "v": PAYLOAD_VERSION,
            "id": self.id,
            "phase": self.phase,
            "name": self.name,
            "script": self.script,
            "shell": self.shell,
            "directory": self.directory,
            "user": self.user,
        }
        if self.env:
            data["env"] = dict(self.env)
        if self.secret_env:
            data["secret_env"] = [{"name": n, "template": t} for n, t in self.secret_env]
        if self.secret_files:
            data["secret_files"] = dict(self.secret_files)
        if self.secret_versions:
            data["secret_versions"] = dict(self.secret_versions)
        return data

    def encoded(self) -> str:
        return encode_payload(self.to_dict())
