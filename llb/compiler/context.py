"""Per-compile context and the small pieces every step compiler shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from llb.compiler import environment
from llb.compiler.constants import (
    BUILD_SECRETS_DIR,
    DEFAULT_PATH,
    DZLAUNCH,
    KNOWN_UIDS,
    OFFLINE_NAMESPACE,
    TEAM_ENV,
)
from llb.compiler.environment import SplitEnv
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
    # Each step asks for its line range twice (vertex name, source map); reading the
    # recipe's source through pydantic's attribute hook and re-scanning the lines
    # each time was a tenth of a 100-step compile.
    _ranges: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    _splits: dict[tuple, SplitEnv] = field(default_factory=dict)
    build_env: dict[str, str] | None = None  # top-level + build env, merged (read-only)

    def __post_init__(self) -> None:
        self.source = self.recipe.source

    @property
    def team(self):
        return self.inputs.names

    @property
    def namespace(self) -> str:
        """The team's registry namespace (``local`` for a compile without one)."""
        return self.inputs.team_namespace or OFFLINE_NAMESPACE

    @property
    def network(self) -> str:
        return NETWORK[self.inputs.network_mode]

    def exec_env(self, literal: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        """The env of an exec op; every exec the compiler emits takes it from here.

        PATH comes first (explicit rather than the daemon's default), then the step's
        literals, then :data:`TEAM_ENV`. The env is part of the op's digest, so the
        team entry keeps each team's exec cache records apart; it goes last because a
        re-set name moves last (``env_add``), so a recipe that sets the name itself
        cannot claim another team's value.
        """
        return (("PATH", DEFAULT_PATH), *literal, (TEAM_ENV, self.namespace))

    def use_secret(self, ref: str) -> None:
        """Record that the current step reads session secret ``ref``."""
        if ref not in self.secret_ids:
            self.secret_ids.append(ref)
        if ref not in self.step_secrets:
            self.step_secrets.append(ref)

    def error(self, path: Path, message: str) -> None:
        source = self.source
        if source is None:
            raise ValueError(f"{'.'.join(map(str, path))}: {message}")
        self.errors.append(source.diag(path, message))

    def split_env(self, env: dict[str, str]) -> SplitEnv:
        """The split of ``env``, computed once per compile.

        :func:`environment.split` of ``env``, once per distinct env in a compile
        (every apt-get step shares its phase's).
        """
        key = tuple(env.items())
        found = self._splits.get(key)
        if found is None:
            found = self._splits[key] = environment.split(env, self.team)
        return found

    def lines(self, path: Path) -> tuple[int, int]:
        if self.source is None:
            return (0, 0)
        key = tuple(path)
        found = self._ranges.get(key)
        if found is None:
            found = self._ranges[key] = self.source.line_range(path)
        return found

    def locations(self, path: Path) -> tuple[SourceLocation, ...]:
        """Where ``path`` is written, for the op's source map (empty without a source)."""
        source = self.source
        if source is None:
            return ()
        if self._source_file is None:
            self._source_file = SourceMap(source.file, source.text.encode("utf-8"))
        first, last = self.lines(path)
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


def vertex_name(phase: str, index: int, total: int, label: str) -> str:
    return f"[{phase} {index + 1}/{total}] " + " ".join(label.split())
