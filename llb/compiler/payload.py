"""The step payload handed to ``dzlaunch`` (docs/design.md, version 1)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from llb.compiler.constants import PAYLOAD_VERSION

_LABEL_WIDTH = 72


def canonical_json(value: object) -> str:
    """Sorted keys, compact separators, UTF-8 text (no ASCII escaping)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_payload(payload: dict) -> str:
    """Standard base64 (with padding) of the payload's canonical JSON."""
    return base64.b64encode(canonical_json(payload).encode("utf-8")).decode("ascii")


def summary(text: str) -> str:
    """A one-line label: the first line that is not blank or a comment, shortened."""
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line and not line.startswith("#")), "")
    first = first or next((line for line in lines if line), "")
    return first if len(first) <= _LABEL_WIDTH else first[: _LABEL_WIDTH - 1] + "…"


@dataclass(frozen=True)
class Payload:
    """One step as dzlaunch runs it; ``to_dict`` leaves out empty optional keys."""

    id: str
    phase: str
    name: str
    script: str
    shell: str
    directory: str
    user: str
    env: dict[str, str] = field(default_factory=dict)
    secret_env: tuple[tuple[str, str], ...] = ()
    secret_files: dict[str, str] = field(default_factory=dict)
    secret_versions: dict[str, str] = field(default_factory=dict)

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
