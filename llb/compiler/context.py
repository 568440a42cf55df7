"""Per-compile context and the small pieces every step compiler shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from llb.compiler.constants import BUILD_SECRETS_DIR, DEFAULT_PATH, DZLAUNCH, KNOWN_UIDS
from llb.compiler.inputs import CompileInputs
from llb.compiler.payload import Payload
from llb.graph.exec import secret_mount
from llb.graph.types import Range, SourceLocation, SourceMap
from llb.recipe.diagnostics import Diagnostic
from llb.recipe.models import Recipe
from llb.recipe.source import Path

NETWORK = {"host": "host", "none": "none", "unset": "sandbox"}


@dataclass
class Context:
    """What step compilers read (recipe, inputs) and the facts they report back."""

    recipe: Recipe
    inputs: CompileInputs
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    secret_ids: list[str] = field(default_factory=list)
    derived: dict[str, str] = field(default_factory=dict)
    step_secrets: list[str] = field(default_factory=list)
    _source_file: SourceMap | None = None

    @property
    def team(self):
        return self.inputs.names

    @property
    def network(self) -> str:
        return NETWORK[self.inputs.network_mode]

    def use_secret(self, ref: str) -> None:
        """Record that the current step reads session secret ``ref``."""
        if ref not in self.secret_ids:
            self.secret_ids.append(ref)
        if ref not in self.step_secrets:
            self.step_secrets.append(ref)

    def error(self, path: Path, message: str) -> None:
        source = self.recipe.source
        if source is None:
            raise ValueError(f"{'.'.join(map(str, path))}: {message}")
        self.errors.append(source.diag(path, message))

    def lines(self, path: Path) -> tuple[int, int]:
        source = self.recipe.source
        return source.line_range(path) if source else (0, 0)

    def locations(self, path: Path) -> tuple[SourceLocation, ...]:
        """Where ``path`` is written, for the op's source map (empty without a source)."""
        source = self.recipe.source
        if source is None:
            return ()
        if self._source_file is None:
            self._source_file = SourceMap(source.file, source.text.encode("utf-8"))
        first, last = source.line_range(path)
        return (SourceLocation(self._source_file, (Range.lines(first, last),)),)

    def secret_owner(self, user: str, path: Path) -> tuple[int, int]:
        """uid/gid that own a secret file for ``user`` (root, devzero or numeric)."""
        if user in KNOWN_UIDS:
            uid = KNOWN_UIDS[user]
            return uid, uid
        head, _, tail = user.partition(":")
        if head.isdigit() and (not tail or tail.isdigit()):
            return int(head), int(tail or head)
        self.error(
            path,
            f"a step that reads secrets must run as root, devzero or a numeric "
            f'uid (e.g. "1001"), not {user!r}: the secret file is owned by that uid',
        )
        return 0, 0

    def secret_mounts(self, refs, user: str, path: Path) -> list:
        uid, gid = self.secret_owner(user, path) if refs else (0, 0)
        mounts = []
        for ref in refs:
            self.use_secret(ref)
            mounts.append(secret_mount(f"{BUILD_SECRETS_DIR}/{ref}", ref, uid=uid, gid=gid))
        return mounts


def dzlaunch_args(payload: Payload) -> list[str]:
    return [DZLAUNCH, "--mode", "build", payload.encoded()]


def exec_env(literal: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """PATH first (explicit rather than the daemon's default), then the step's literals."""
    return [("PATH", DEFAULT_PATH), *literal]


def vertex_name(phase: str, index: int, total: int, label: str) -> str:
    return f"[{phase} {index + 1}/{total}] " + " ".join(label.split())
