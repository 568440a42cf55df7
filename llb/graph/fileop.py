r"""File ops: chains of mkdir / mkfile / rm / copy applied to a state in one op.

Build a chain with the module functions and the chaining methods, then apply it
with ``state.file(chain)``:

    >>> chain = mkdir("/usr/lib/devzero", 0o755, parents=True).mkfile("/etc/motd", 0o644, b"hi\n")
    >>> st = image("busybox").file(chain, custom_name="[build 1/3] layout")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from .state import Output, State
from .types import GraphError, OpMeta, Owner, op_meta
from .types import owner as parse_owner

OwnerSpec = str | int | tuple[int, int] | Owner | None


class Mkdir(NamedTuple):
    """Create a directory (``parents`` like ``mkdir -p``)."""

    path: str
    mode: int
    parents: bool = False
    owner: Owner | None = None
    created_ns: int | None = None


class Mkfile(NamedTuple):
    """Create a file holding ``data``."""

    path: str
    mode: int
    data: bytes
    owner: Owner | None = None
    created_ns: int | None = None


class Rm(NamedTuple):
    """Remove a path."""

    path: str
    allow_not_found: bool = False
    allow_wildcard: bool = False


@dataclass(frozen=True)
class Copy:
    """Copy ``src`` of ``source`` to ``dest`` of the state the op applies to."""

    source: State
    src: str
    dest: str
    owner: Owner | None = None
    mode: int | None = None
    follow_symlinks: bool = False
    dir_contents_only: bool = False
    attempt_unpack: bool = False
    create_dest_path: bool = False
    allow_wildcard: bool = False
    allow_empty_wildcard: bool = False
    created_ns: int | None = None
    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()


Action = Mkdir | Mkfile | Rm | Copy
# Mkdir, Mkfile, Rm and FileAction are named tuples (values, equal by their fields like
# frozen dataclasses): a compile makes several per file step, a tuple costs far less.


class FileAction(NamedTuple):
    """One action and the chain before it; each method returns a longer chain."""

    action: Action
    prev: FileAction | None = None

    def mkdir(self, path: str, mode: int = 0o755, **options: Any) -> FileAction:
        """Append a :func:`mkdir`."""
        return FileAction(mkdir(path, mode, **options).action, self)

    def mkfile(self, path: str, mode: int, data: bytes | str, **options: Any) -> FileAction:
        """Append a :func:`mkfile`."""
        return FileAction(mkfile(path, mode, data, **options).action, self)

    def rm(self, path: str, **options: Any) -> FileAction:
        """Append an :func:`rm`."""
        return FileAction(rm(path, **options).action, self)

    def copy(self, source: State, src: str, dest: str, **options: Any) -> FileAction:
        """Append a :func:`copy`."""
        return FileAction(copy(source, src, dest, **options).action, self)

    def chain(self) -> tuple[Action, ...]:
        """All actions, first to last."""
        actions: list[Action] = []
        node: FileAction | None = self
        while node is not None:
            actions.append(node.action)
            node = node.prev
        return tuple(reversed(actions))


def mkdir(
    path: str,
    mode: int = 0o755,
    *,
    parents: bool = False,
    owner: OwnerSpec = None,
    created_ns: int | None = None,
) -> FileAction:
    """Create directory ``path`` (relative paths join the state's cwd).

    Args:
        path: directory to create.
        mode: permission bits (masked to 0o777 like the Go client).
        parents: create missing parents.
        owner: ``"devzero"`` (name, resolved against the input's /etc/passwd),
            ``"1000:1000"``, ``(uid, gid)`` or an :class:`Owner`.
        created_ns: timestamp in ns since the epoch (None = now, at build time).
    """
    return FileAction(Mkdir(path, mode, parents, parse_owner(owner), created_ns))


def mkfile(
    path: str,
    mode: int,
    data: bytes | str,
    *,
    owner: OwnerSpec = None,
    created_ns: int | None = None,
) -> FileAction:
    """Create file ``path`` with ``data`` (str is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return FileAction(Mkfile(path, mode, data, parse_owner(owner), created_ns))


def rm(path: str, *, allow_not_found: bool = False, allow_wildcard: bool = False) -> FileAction:
    """Remove ``path``."""
    return FileAction(Rm(path, allow_not_found, allow_wildcard))


def copy(
    source: State,
    src: str,
    dest: str,
    *,
    owner: OwnerSpec = None,
    mode: int | None = None,
    follow_symlinks: bool = False,
    dir_contents_only: bool = False,
    attempt_unpack: bool = False,
    create_dest_path: bool = False,
    allow_wildcard: bool = False,
    allow_empty_wildcard: bool = False,
    created_ns: int | None = None,
    include_patterns: tuple[str, ...] = (),
    exclude_patterns: tuple[str, ...] = (),
) -> FileAction:
    """Copy ``src`` from ``source`` to ``dest`` (a trailing ``/`` means "into").

    Args:
        source: the state to copy from; a relative ``src`` joins its cwd.
        src: path inside ``source``.
        dest: path inside the state the op applies to.
        owner: as for :func:`mkdir`; a name resolves against the destination state.
        mode: permission bits for the copied files (None keeps them).
        follow_symlinks: copy what a symlink ``src`` points to, not the link.
        dir_contents_only: copy a directory's contents, not the directory itself.
        attempt_unpack: unpack a ``src`` archive into ``dest``.
        create_dest_path: create missing parent directories of ``dest``.
        allow_wildcard: let ``src`` hold glob characters.
        allow_empty_wildcard: a glob that matches nothing is not an error.
        created_ns: timestamp (ns since the epoch) for the copied files; None keeps theirs.
        include_patterns: needs BuildKit v0.9+ (``file.copy.includepatterns``).
        exclude_patterns: needs BuildKit v0.9+.
    """
    return FileAction(
        Copy(
            source,
            src,
            dest,
            parse_owner(owner),
            mode,
            follow_symlinks,
            dir_contents_only,
            attempt_unpack,
            create_dest_path,
            allow_wildcard,
            allow_empty_wildcard,
            created_ns,
            tuple(include_patterns),
            tuple(exclude_patterns),
        )
    )


@dataclass(frozen=True, eq=False)
class FileVertex:
    """A file op: ``actions`` applied to ``base`` (the state ``file()`` was called on)."""

    base: State
    actions: tuple[Action, ...]
    meta: OpMeta

    def inputs(self) -> tuple[Output, ...]:
        """Distinct inputs in the Go client's walk order: base, then copy sources last-first."""
        seen: list[Output] = []
        candidates = [self.base.output]
        for action in reversed(self.actions):
            if isinstance(action, Copy):
                candidates.append(action.source.output)
        for out in candidates:
            if out is not None and out not in seen:
                seen.append(out)
        return tuple(seen)


def file_op(state: State, action: FileAction, **meta: Any) -> State:
    """Apply ``action`` (and the chain before it) to ``state`` as one file op.

    Args:
        state: the filesystem to change; its cwd resolves relative paths.
        action: the last action of a chain built with :func:`mkdir`, :func:`mkfile`,
            :func:`rm`, :func:`copy` and their chaining methods.
        **meta: ``custom_name``, ``description``, ``ignore_cache``, ``export_cache``,
            ``locations`` (see :func:`llb.graph.types.op_meta`).

    Returns:
        The state after the file op, keeping ``state``'s settings.
    """
    if not isinstance(action, FileAction):
        raise GraphError(f"file() needs a FileAction, got {type(action).__name__}")
    vertex = FileVertex(base=state, actions=action.chain(), meta=op_meta(**meta))
    return state.with_output(Output(vertex, 0))
