"""Immutable LLB states: an output of some op plus the exec settings that travel with it.

A :class:`State` is a value. Every method returns a new state; nothing here does
I/O. The ops themselves live in :mod:`.sources`, :mod:`.exec` and :mod:`.fileop`;
:func:`llb.graph.marshal.marshal` turns a state into a ``Definition``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from . import paths
from .types import GraphError, NetMode, Platform, SecurityMode

if TYPE_CHECKING:
    from .exec import ExecState
    from .fileop import FileAction


class Output(NamedTuple):
    """Output ``index`` of ``vertex``; vertices compare by identity like Go pointers.

    A named tuple (equal and hashed by its fields, like a frozen dataclass): every
    op makes one, and a tuple costs a fraction of a dataclass to make.
    """

    vertex: Any
    index: int = 0


EnvPairs = tuple[tuple[str, str], ...]


def evolve(state: State, **changes: Any) -> State:
    """``dataclasses.replace`` for :class:`State`, without re-running ``__init__``.

    Every option call makes a new state, and ``replace`` costs several microseconds
    each: about a quarter of a 100-step compile. State has no ``__post_init__``, so
    copying the fields is exactly equivalent.
    """
    new = object.__new__(State)
    fields = new.__dict__
    fields.update(state.__dict__)
    fields.update(changes)
    return new


def env_add(env: EnvPairs, key: str, value: str) -> EnvPairs:
    """Set ``key`` the way the Go client's ``AddEnv`` does: a re-set key moves last."""
    if not key or "=" in key:
        raise GraphError(f"invalid environment variable name {key!r}")
    return tuple(kv for kv in env if kv[0] != key) + ((key, value),)


def env_merge(env: EnvPairs, pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> EnvPairs:
    """:func:`env_add` of each pair in turn, in one pass over a dict.

    Popping a key before setting it again moves it last, which is ``env_add``'s rule.
    """
    if isinstance(pairs, tuple):
        return _env_merge_tuples(env, pairs)
    return _env_merge(env, pairs)


@lru_cache(maxsize=256)
def _env_merge_tuples(env: EnvPairs, pairs: EnvPairs) -> EnvPairs:
    # Immutable in, immutable out: every exec of a compile (and of the next compile of
    # a similar recipe) merges the same few envs.
    return _env_merge(env, pairs)


def _env_merge(env: EnvPairs, pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> EnvPairs:
    merged = dict(env)
    if len(merged) != len(env):  # a hand-built env with a repeated key: the slow way
        for key, value in pairs.items() if isinstance(pairs, Mapping) else pairs:
            env = env_add(env, key, value)
        return env
    for key, value in pairs.items() if isinstance(pairs, Mapping) else pairs:
        if not key or "=" in key:
            raise GraphError(f"invalid environment variable name {key!r}")
        merged.pop(key, None)
        merged[key] = value
    return tuple(merged.items())


def work_dir(cwd: str, path: str) -> str:
    """The working directory after changing to ``path`` from ``cwd``.

    Like the Go client, an absolute path is kept exactly as given.
    """
    if not path:
        raise GraphError("working directory must not be empty")
    return path if path.startswith("/") else paths.resolve(cwd, path)


@dataclass(frozen=True)
class State:
    """A filesystem (an op output, or scratch) with the settings later execs inherit.

    Attributes:
        output: the op output this state stands for; None is scratch (empty).
        env: environment as ordered ``(key, value)`` pairs.
        cwd: working directory for execs and relative file paths.
        user: exec user (name or ``uid[:gid]``); empty means the image default.
        network: exec network mode.
        security: exec security mode.
        hostname: exec hostname; empty leaves the daemon default.
        platform: platform of the ops built from this state (None = marshal default).
    """

    output: Output | None = None
    env: EnvPairs = ()
    cwd: str = "/"
    user: str = ""
    network: NetMode = NetMode.SANDBOX
    security: SecurityMode = SecurityMode.SANDBOX
    hostname: str = ""
    platform: Platform | None = None

    def with_output(self, output: Output | None) -> State:
        """The same settings over another filesystem."""
        return evolve(self, output=output)

    def add_env(self, key: str, value: str) -> State:
        """Set one environment variable (a re-set key moves to the end)."""
        return evolve(self, env=env_add(self.env, key, value))

    def with_env(self, env: Mapping[str, str] | Iterable[tuple[str, str]]) -> State:
        """Set several variables in order, as repeated :meth:`add_env` calls."""
        return evolve(self, env=env_merge(self.env, env))

    def get_env(self, key: str) -> str | None:
        """The value of ``key``, or None."""
        return next((v for k, v in self.env if k == key), None)

    def with_dir(self, path: str) -> State:
        """Change the working directory; a relative path is joined to the current one.

        Like the Go client, an absolute path is kept exactly as given.
        """
        return evolve(self, cwd=work_dir(self.cwd, path))

    def with_user(self, user: str) -> State:
        """Set the exec user."""
        return evolve(self, user=user)

    def with_network(self, network: NetMode | str) -> State:
        """Set the exec network mode (``NetMode`` or ``"sandbox"``/``"host"``/``"none"``)."""
        return evolve(self, network=parse_mode(NetMode, network))

    def with_security(self, security: SecurityMode | str) -> State:
        """Set the exec security mode."""
        return evolve(self, security=parse_mode(SecurityMode, security))

    def run(self, args: Iterable[str], **options: Any) -> ExecState:
        """Run a command on this filesystem; see :func:`llb.graph.exec.run`."""
        from .exec import run

        return run(self, args, **options)

    def file(self, action: FileAction, **meta: Any) -> State:
        """Apply a chain of file actions; see :func:`llb.graph.fileop.file_op`."""
        from .fileop import file_op

        return file_op(self, action, **meta)


def scratch() -> State:
    """The empty filesystem."""
    return State()


@lru_cache(maxsize=64)
def parse_mode(kind: type, value: Any) -> Any:
    """A network or security mode from the enum or its name (cached: a few values)."""
    if isinstance(value, str):
        try:
            return kind[value.upper()]
        except KeyError:
            names = ", ".join(m.name.lower() for m in kind)
            raise GraphError(f"{kind.__name__} {value!r} is not one of {names}") from None
    return kind(value)
