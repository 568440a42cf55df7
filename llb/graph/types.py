"""Small value types shared by the LLB graph: platforms, modes, owners, source locations.

Everything here is a frozen dataclass or an enum, so graph values can be shared
and compared freely.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import NamedTuple


class GraphError(ValueError):
    """A graph that cannot be turned into valid LLB (bad argument, missing args...)."""


@dataclass(frozen=True)
class Platform:
    """An OCI platform such as ``linux/amd64`` (what ``Op.platform`` carries)."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os/arch[/variant]``, e.g. ``linux/arm64`` or ``linux/arm/v7``.

        Raises:
            GraphError: when the text does not have two or three parts.
        """
        return _parse_platform(cls, text)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@lru_cache(maxsize=64)
def _parse_platform(cls: type, text: str) -> Platform:
    # One object per platform: the ops of every compile then share it, and caches
    # keyed by it find it by identity rather than comparing it field by field.
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise GraphError(f"platform {text!r} is not os/arch[/variant]")
    return cls(*parts)


LINUX_AMD64 = Platform("linux", "amd64")


class NetMode(IntEnum):
    """Exec network mode (``pb.NetMode``); SANDBOX is the daemon default (UNSET)."""

    SANDBOX = 0
    HOST = 1
    NONE = 2


class SecurityMode(IntEnum):
    """Exec security mode (``pb.SecurityMode``); INSECURE needs ``security.insecure``."""

    SANDBOX = 0
    INSECURE = 1


class CacheSharing(IntEnum):
    """How concurrent builds share a cache mount (``pb.CacheSharingOpt``)."""

    SHARED = 0
    PRIVATE = 1
    LOCKED = 2


@dataclass(frozen=True)
class UserRef:
    """One side of an owner: a name (resolved in the image's passwd/group) or an id."""

    name: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Owner:
    """File ownership for mkdir/mkfile/copy; either side may be left unset."""

    user: UserRef | None = None
    group: UserRef | None = None


def _user_ref(text: str) -> UserRef:
    # Same rule as the Go client's WithUser: "root" and 32-bit integers are ids.
    if text == "root":
        return UserRef(id=0)
    try:
        value = int(text, 10)
    except ValueError:
        return UserRef(name=text)
    if not -(2**31) <= value < 2**31:
        return UserRef(name=text)
    return UserRef(id=value)


def owner(spec: str | int | tuple[int, int] | Owner | None) -> Owner | None:
    """Build an :class:`Owner` from the usual spellings.

    ``"devzero"`` sets the user by name (group left to the daemon), ``"devzero:staff"``
    both by name, ``"1000:1000"`` or ``(1000, 1000)`` by id, ``0`` the user id.

    Example:
        >>> owner("devzero:1000")
        Owner(user=UserRef(name='devzero', id=None), group=UserRef(name=None, id=1000))
    """
    if spec is None or isinstance(spec, Owner):
        return spec
    return _parse_owner(spec)


@lru_cache(maxsize=256)
def _parse_owner(spec: str | int | tuple[int, int]) -> Owner:
    # Cached: an Owner is immutable, and a compile names the same few owners again
    # and again (root, devzero, 1000:1000).
    if isinstance(spec, tuple):
        uid, gid = spec
        return Owner(UserRef(id=uid), UserRef(id=gid))
    if isinstance(spec, int):
        return Owner(UserRef(id=spec))
    if not spec:
        raise GraphError("owner must not be empty")
    user, sep, group = spec.partition(":")
    return Owner(_user_ref(user), _user_ref(group) if sep else None)


@dataclass(frozen=True)
class Position:
    """A position in a source file; lines count from 1 (as BuildKit expects)."""

    line: int
    character: int = 0


@dataclass(frozen=True)
class Range:
    """A range of a source file, both ends inclusive lines."""

    start: Position
    end: Position

    @classmethod
    def lines(cls, first: int, last: int | None = None) -> Range:
        """The whole-line range ``first..last`` (``last`` defaults to ``first``)."""
        return _line_range(cls, first, first if last is None else last)


@lru_cache(maxsize=4096)
def _line_range(cls: type, first: int, last: int) -> Range:
    # Cached: a Range is immutable and every step of every compile asks for one.
    return cls(Position(first), Position(last))


@dataclass(frozen=True)
class SourceMap:
    """A source file (the recipe) that op locations point into."""

    filename: str
    data: bytes = b""


class SourceLocation(NamedTuple):
    """Ranges of one source file that produced an op (a named tuple: one per step)."""

    source: SourceMap
    ranges: tuple[Range, ...]


class OpMeta(NamedTuple):
    """Per-op constraints and metadata (the Go client's ``Constraints``).

    A named tuple: every op has one, and a frozen dataclass costs several times
    as much to make.
    """

    description: tuple[tuple[str, str], ...] = ()
    ignore_cache: bool = False
    export_cache: bool | None = None
    locations: tuple[SourceLocation, ...] = ()
    worker_constraints: tuple[str, ...] = ()


CUSTOM_NAME_KEY = "llb.customname"


def op_meta(
    custom_name: str | None = None,
    description: Mapping[str, str] | None = None,
    ignore_cache: bool = False,
    export_cache: bool | None = None,
    locations: Iterable[SourceLocation] = (),
) -> OpMeta:
    """Collect the metadata keyword arguments every op constructor accepts.

    Args:
        custom_name: the vertex name BuildKit shows (``llb.customname``).
        description: more ``OpMetadata.description`` entries.
        ignore_cache: force the op to run again.
        export_cache: per-vertex cache export override (None = build default).
        locations: where in the recipe the op comes from.
    """
    if not description and not ignore_cache and export_cache is None:  # the usual: a name
        named = () if custom_name is None else ((CUSTOM_NAME_KEY, custom_name),)
        return OpMeta(named, False, None, tuple(locations))
    desc = dict(description or {})
    if custom_name is not None:
        desc[CUSTOM_NAME_KEY] = custom_name
    return OpMeta(
        description=tuple(desc.items()),
        ignore_cache=ignore_cache,
        export_cache=export_cache,
        locations=tuple(locations),
    )
