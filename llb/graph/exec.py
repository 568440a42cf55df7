"""Exec ops: run a command on a state, with extra mounts.

Defaults mirror BuildKit v0.24's Go client: mounts sorted by destination, then
secret and ssh mounts in the order given; only writable bind mounts are outputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from .state import Output, State, env_add, env_merge, parse_mode, work_dir
from .types import CacheSharing, GraphError, NetMode, OpMeta, Platform, SecurityMode, op_meta


@dataclass(frozen=True)
class BindMount:
    """A state mounted at ``dest`` (``source=None`` mounts an empty directory)."""

    dest: str
    source: Output | None
    selector: str = ""
    readonly: bool = False
    no_output: bool = False

    @property
    def has_output(self) -> bool:
        """Writable bind mounts become outputs of the exec."""
        return not (self.readonly or self.no_output)


@dataclass(frozen=True)
class CacheMount:
    """A persistent cache directory kept by the daemon under ``id``."""

    dest: str
    id: str
    sharing: CacheSharing = CacheSharing.SHARED
    source: Output | None = None
    selector: str = ""
    has_output = False


@dataclass(frozen=True)
class TmpfsMount:
    """An in-memory filesystem (``size`` needs ``exec.mount.tmpfs.size``, v0.10+)."""

    dest: str
    size: int = 0
    source = None
    selector = ""
    has_output = False


@dataclass(frozen=True)
class SecretMount:
    """A session secret exposed as a file; the graph holds the id only, never the value."""

    dest: str
    id: str
    uid: int = 0
    gid: int = 0
    mode: int = 0o400
    optional: bool = False


@dataclass(frozen=True)
class SSHMount:
    """A forwarded ssh agent socket."""

    dest: str
    id: str = ""
    uid: int = 0
    gid: int = 0
    mode: int = 0o600
    optional: bool = False


FsMount = BindMount | CacheMount | TmpfsMount
Mount = FsMount | SecretMount | SSHMount


def bind(dest: str, source: State, selector: str = "", readonly: bool = False) -> BindMount:
    """Mount ``source`` at ``dest``; a writable mount is an extra output of the exec."""
    return BindMount(dest, source.output, selector=selector, readonly=readonly)


def cache_mount(
    dest: str,
    id: str,
    sharing: CacheSharing | str = CacheSharing.SHARED,
    source: State | None = None,
) -> CacheMount:
    """A persistent cache at ``dest`` (``sharing``: shared, private or locked)."""
    if source is None:
        return _cache_mount(dest, id, sharing)
    if isinstance(sharing, str):
        sharing = CacheSharing[sharing.upper()]
    return CacheMount(dest, id, sharing, source.output)


@lru_cache(maxsize=256)
def _cache_mount(dest: str, id: str, sharing: CacheSharing | str) -> CacheMount:
    # Mounts are values: every apt step of a compile gets the same one, made once.
    if isinstance(sharing, str):
        sharing = CacheSharing[sharing.upper()]
    return CacheMount(dest, id, sharing)


def tmpfs(dest: str, size: int = 0) -> TmpfsMount:
    """An in-memory filesystem at ``dest``."""
    return TmpfsMount(dest, size)


@lru_cache(maxsize=1024)  # a value; every step reading a secret mounts it the same way
def secret_mount(
    dest: str, id: str, uid: int = 0, gid: int = 0, mode: int = 0o400, optional: bool = False
) -> SecretMount:
    """The session secret ``id`` as a file at ``dest`` (mode 0400 by default)."""
    return SecretMount(dest, id, uid, gid, mode, optional)


def ssh_mount(
    dest: str = "",
    id: str = "",
    uid: int = 0,
    gid: int = 0,
    mode: int = 0o600,
    optional: bool = False,
) -> SSHMount:
    """An ssh agent socket; ``dest`` defaults to ``/run/buildkit/ssh_agent.<n>``."""
    return SSHMount(dest, id, uid, gid, mode, optional)


_by_dest = attrgetter("dest")


@dataclass(frozen=True, eq=False)
class ExecVertex:
    """An exec op. ``mounts`` holds the root and other filesystem mounts in given order."""

    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    cwd: str
    user: str
    hostname: str
    network: NetMode
    security: SecurityMode
    mounts: tuple[FsMount, ...]
    secrets: tuple[SecretMount, ...]
    ssh: tuple[SSHMount, ...]
    platform: Platform | None
    meta: OpMeta

    def __post_init__(self) -> None:
        # Sorted once here: the marshal walk asks for this order several times per op.
        by_dest = sort_mounts(self.mounts)
        object.__setattr__(self, "_sorted_mounts", by_dest)
        # Distinct mount sources in sorted-mount order (the marshal walk order).
        sources: list[Output] = []
        for m in by_dest:
            if m.source is not None and m.source not in sources:
                sources.append(m.source)
        object.__setattr__(self, "_inputs", tuple(sources))

    def sorted_mounts(self) -> tuple[FsMount, ...]:
        """Filesystem mounts sorted by destination, as the Go client marshals them."""
        return self._sorted_mounts

    def inputs(self) -> tuple[Output, ...]:
        """Distinct mount sources in sorted-mount order (the marshal walk order)."""
        return self._inputs

    def output_index(self, dest: str) -> int:
        """Position of the writable mount at ``dest`` among the exec's outputs."""
        return output_index(self._sorted_mounts, dest)


@dataclass(frozen=True)
class ExecState:
    """The result of :func:`run`: the rootfs state plus access to other mount outputs."""

    state: State
    vertex: ExecVertex

    def root(self) -> State:
        """The root filesystem after the command ran."""
        return self.state

    def mount_output(self, dest: str) -> State:
        """The filesystem of the mount at ``dest`` after the command ran.

        A readonly mount gives back its source unchanged; cache, tmpfs and secret
        mounts have no output.

        Raises:
            GraphError: when ``dest`` is not a mount with an output.
        """
        for m in self.vertex.mounts:
            if m.dest == dest and isinstance(m, BindMount) and m.readonly:
                return State(output=m.source, platform=self.vertex.platform)
        index = self.vertex.output_index(dest)
        return State(output=Output(self.vertex, index), platform=self.vertex.platform)


def run(
    state: State,
    args: Iterable[str],
    *,
    env: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    cwd: str | None = None,
    user: str | None = None,
    network: NetMode | str | None = None,
    security: SecurityMode | str | None = None,
    hostname: str | None = None,
    mounts: Iterable[Mount] = (),
    **meta: Any,
) -> ExecState:
    """Run ``args`` with ``state`` as the root filesystem (the Go client's ``State.Run``).

    Args:
        state: the root filesystem and inherited settings (env, cwd, user, network).
        args: argv; must not be empty.
        env: variables added on top of the state's env, in order.
        cwd: working directory; relative paths join the state's cwd.
        user: exec user (name or ``uid[:gid]``).
        network: ``NetMode`` or ``"sandbox"``/``"host"``/``"none"``.
        security: ``SecurityMode`` or ``"sandbox"``/``"insecure"``.
        hostname: container hostname.
        mounts: :func:`bind`, :func:`cache_mount`, :func:`tmpfs`, :func:`secret_mount`,
            :func:`ssh_mount` values.
        **meta: ``custom_name``, ``description``, ``ignore_cache``, ``export_cache``,
            ``locations`` (see :func:`llb.graph.types.op_meta`).

    Returns:
        An :class:`ExecState`; ``.root()`` is the rootfs after the command.

    Raises:
        GraphError: for empty args or a non-absolute mount destination.

    Example:
        >>> st = image("busybox").run(["/bin/sh", "-c", "echo hi"], user="devzero").root()
    """
    spec = exec_spec(state, args, env, cwd, user, network, security, hostname, mounts)
    vertex = ExecVertex(*spec, platform=state.platform, meta=op_meta(**meta))
    root = Output(vertex, vertex.output_index("/"))
    return ExecState(state=state.with_output(root), vertex=vertex)


class ExecSpec(NamedTuple):
    """The fields of an exec op but its platform and metadata, checked."""

    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    cwd: str
    user: str
    hostname: str
    network: NetMode
    security: SecurityMode
    mounts: tuple[FsMount, ...]  # the root mount first, then the others as given
    secrets: tuple[SecretMount, ...]
    ssh: tuple[SSHMount, ...]


def exec_spec(
    state: State,
    args: Iterable[str],
    env: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    cwd: str | None = None,
    user: str | None = None,
    network: NetMode | str | None = None,
    security: SecurityMode | str | None = None,
    hostname: str | None = None,
    mounts: Iterable[Mount] = (),
) -> ExecSpec:
    """The exec :func:`run` would make on ``state`` (the arguments as :func:`run` takes them).

    Raises:
        GraphError: for empty args or an invalid mount.
    """
    # Only the exec gets these settings (the returned state keeps ``state``'s), so
    # they are worked out as values rather than as intermediate states.
    exec_env = env_merge(state.env, env) if env else state.env
    exec_cwd = state.cwd if cwd is None else work_dir(state.cwd, cwd)
    exec_network = state.network if network is None else parse_mode(NetMode, network)
    exec_security = state.security if security is None else parse_mode(SecurityMode, security)
    argv = tuple(args)
    if not argv:
        raise GraphError("exec needs at least one argument")
    fs_mounts: list[FsMount] = [BindMount("/", state.output)]
    secrets: list[SecretMount] = []
    sockets: list[SSHMount] = []
    for m in mounts:
        if not m.dest and not isinstance(m, SSHMount):
            raise GraphError("mount destination must not be empty")
        if isinstance(m, SecretMount):
            secrets.append(m)
        elif isinstance(m, SSHMount):
            default_dest = f"/run/buildkit/ssh_agent.{len(sockets)}"
            sockets.append(m if m.dest else replace(m, dest=default_dest))
        elif isinstance(m, TmpfsMount | CacheMount | BindMount):
            # A relative destination is kept as given; the daemon joins it to cwd.
            fs_mounts.append(m)
        else:
            raise GraphError(f"unknown mount {m!r}")
    if sockets and all(k != "SSH_AUTH_SOCK" for k, _ in exec_env):
        exec_env = env_add(exec_env, "SSH_AUTH_SOCK", sockets[0].dest)
    return ExecSpec(
        argv,
        exec_env,
        exec_cwd,
        state.user if user is None else user,
        state.hostname if hostname is None else hostname,
        exec_network,
        exec_security,
        tuple(fs_mounts),
        tuple(secrets),
        tuple(sockets),
    )


def sort_mounts(mounts: Iterable[FsMount]) -> tuple[FsMount, ...]:
    """Filesystem mounts sorted by destination, as the Go client marshals them."""
    return tuple(sorted(mounts, key=_by_dest))


def output_index(sorted_mounts: Iterable[FsMount], dest: str) -> int:
    """Position of the writable mount at ``dest`` among an exec's outputs."""
    writable = [m for m in sorted_mounts if m.has_output]
    for i, m in enumerate(writable):
        if m.dest == dest:
            return i
    raise GraphError(f"mount {dest!r} is not a writable mount of this exec")
