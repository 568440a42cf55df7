"""Immutable LLB states: an output of some op plus the exec settings that travel with it.

A :class:`State` is a value. Every method returns a new state; nothing here does
I/O. The ops themselves live in :mod:`.sources`, :mod:`.exec` and :mod:`.fileop`;
:func:`llb.graph.marshal.marshal` turns a state into a ``Definition``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import paths
from .types import GraphError, NetMode, Platform, SecurityMode

if TYPE_CHECKING:
    from .exec import ExecState
    from .fileop import FileAction


@dataclass(frozen=True)
class Output:
    """Output ``index`` of ``vertex``; vertices compare by identity like Go pointers."""

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
        pairs = env.items() if isinstance(env, Mapping) else env
        merged = self.env
        for key, value in pairs:
            merged = env_add(merged, key, value)
        return evolve(self, env=merged)

    def get_env(self, key: str) -> str | None:
        """The value of ``key``, or None."""
        return next((v for k, v in self.env if k == key), None)

    def with_dir(self, path: str) -> State:
        """Change the working directory; a relative path is joined to the current one.

        Like the Go client, an absolute path is kept exactly as given.
        """
        if not path:
            raise GraphError("working directory must not be empty")
        return evolve(self, cwd=path if path.startswith("/") else paths.resolve(self.cwd, path))

    def with_user(self, user: str) -> State:
        """Set the exec user."""
        return evolve(self, user=user)

    def with_network(self, network: NetMode | str) -> State:
        """Set the exec network mode (``NetMode`` or ``"sandbox"``/``"host"``/``"none"``)."""
        return evolve(self, network=_enum(NetMode, network))

    def with_security(self, security: SecurityMode | str) -> State:
        """Set the exec security mode."""
        return evolve(self, security=_enum(SecurityMode, security))

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


def _enum(kind: type, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return kind[value.upper()]
        except KeyError:
            names = ", ".join(m.name.lower() for m in kind)
            raise GraphError(f"{kind.__name__} {value!r} is not one of {names}") from None
    return kind(value)
