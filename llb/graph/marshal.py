"""The one place that turns graph values into LLB: ``marshal(state) -> Definition``.

It reproduces BuildKit v0.24's Go client (``client/llb``) byte for byte: the same
op fields and defaults, the same caps per op, the same depth-first post-order
walk (so ``Definition.def`` has the same order), de-duplication by digest,
metadata merged per digest, the terminal op last, and a source map with an entry
for every op. Bytes are written directly in Go's field order by :mod:`.opbytes`
(no protobuf message is built on the way).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from . import opbytes, paths
from .definition import Definition
from .exec import CacheMount, ExecVertex, FsMount, SecretMount, SSHMount, TmpfsMount
from .fileop import Copy, FileVertex, Mkdir, Mkfile, Rm
from .sources import SourceVertex
from .state import Output, State
from .types import (
    CUSTOM_NAME_KEY,
    LINUX_AMD64,
    GraphError,
    NetMode,
    OpMeta,
    Owner,
    Platform,
    SecurityMode,
    SourceLocation,
    SourceMap,
)


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of op bytes, the op's identity in LLB."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def marshal(state: State, platform: Platform = LINUX_AMD64) -> Definition:
    """Serialize ``state`` and everything it depends on into a ``Definition``.

    Args:
        state: the final state; its output becomes the build result.
        platform: platform for ops that do not carry their own (the Go client's
            ``Marshal(ctx, llb.LinuxAmd64)``).

    Returns:
        The Definition: ops in dependency order with the terminal op last.

    Raises:
        GraphError: for scratch (nothing to build) or an invalid graph.

    Example:
        >>> definition = marshal(image("busybox").run(["true"]).root())
        >>> len(definition.ops)  # image, exec, terminal
        3
    """
    if state.output is None:
        raise GraphError("cannot marshal scratch: the build result must come from an op")
    m = Marshaller(platform)
    m.walk(state.output.vertex)
    return m.definition(state.output)


class _MetaAcc:
    """OpMetadata merged over every vertex sharing a digest (Go's mergeMetadata)."""

    __slots__ = ("ignore_cache", "description", "export_cache", "caps")

    def __init__(self, meta: OpMeta | None = None, caps: frozenset[str] = frozenset()) -> None:
        """Start from one vertex's ``meta`` and ``caps`` (or from nothing)."""
        if meta is None:
            self.ignore_cache = False
            self.description: dict[str, str] = {}
            self.export_cache: bool | None = None
        else:
            self.ignore_cache = bool(meta.ignore_cache)
            self.description = dict(meta.description)
            self.export_cache = meta.export_cache
        # a frozenset (the same object for most ops): the cached caps bytes are found by it
        self.caps = frozenset(caps)
    def merge(self, meta: OpMeta, caps: frozenset[str]) -> None:
        self.ignore_cache |= meta.ignore_cache
        self.description.update(meta.description)
        if meta.export_cache is not None:
            self.export_cache = meta.export_cache
        self.caps = self.caps | caps

    def merged(self, other: _MetaAcc | None) -> _MetaAcc:
        """This accumulator with ``other``'s values merged in (``other`` unchanged)."""
        if other is not None:
            self.ignore_cache = other.ignore_cache
            self.description.update(other.description)
            self.export_cache = other.export_cache
            self.caps = self.caps | other.caps
        return self

    def to_bytes(self) -> bytes:
        """The ``OpMetadata`` body."""
        return opbytes.op_metadata(
            self.ignore_cache, self.description, self.export_cache, self.caps
        )


class Marshaller:
    """State of one marshal: the op of each vertex done so far and the Definition.

    :func:`marshal` walks a finished graph; :class:`llb.graph.layers.Layers` feeds
    one op at a time as it builds a chain, which gives the same Definition.
    """

    def __init__(self, platform: Platform) -> None:
        self.default_platform = platform_field(platform)
        self.ops: list[bytes] = []  # distinct ops in walk order
        self.op_digests: list[str] = []
        # id(vertex) -> (digest, op bytes) of every vertex done; keyed by id because
        # vertices compare by identity, like the Go client's pointers.
        self.done: dict[int, tuple[str, bytes]] = {}
        self.keep: list[object] = []  # keeps done vertices alive so ids stay unique
        self.metadata: dict[str, _MetaAcc] = {}  # by digest, in first-seen order
        self.source_maps: dict[SourceMap, int] = {}  # source -> its index in Source.infos
        self.locations: dict[str, list[bytes]] = {}
        self.last_source: SourceMap | None = None
        self.last_source_index = 0

    def walk(self, root: object) -> None:
        """Depth-first post-order over inputs, like the Go client's ``marshal``.

        Iterative, so long recipes cannot hit Python's recursion limit. A vertex is
        done once all its inputs are, so encoding it finds their digests in ``done``.
        """
        stack = [(root, iter(root.inputs()))]
        done = self.done
        while stack:
            vertex, pending = stack[-1]
            for inp in pending:  # resumes where this vertex's last descent left off
                child = inp.vertex
                if id(child) not in done:
                    stack.append((child, iter(child.inputs())))
                    break
            else:
                stack.pop()
                if id(vertex) not in done:
                    self.finish(vertex)

    def finish(self, vertex: object) -> None:
        """Encode ``vertex`` (its inputs are done) and add its op."""
        data, caps = self.encode(vertex)
        self.add(vertex, data, caps, vertex.meta)

    def add(self, vertex: object, data: bytes, caps: frozenset[str], meta: OpMeta) -> str:
        """Add the op ``data`` of ``vertex``: metadata and locations merged by digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()  # digest_of, inlined
        self.done[id(vertex)] = (digest, data)
        self.keep.append(vertex)
        acc = self.metadata.get(digest)
        if acc is None:  # a new op (equal vertices share one, metadata merged)
            self.metadata[digest] = _MetaAcc(meta, caps)
            self.locations[digest] = []  # every op gets an entry, empty or not
            self.ops.append(data)
            self.op_digests.append(digest)
        else:
            acc.merge(meta, caps)
        if meta.locations:
            self.add_locations(self.locations[digest], meta.locations)
        return digest

    def definition(self, result: Output) -> Definition:
        """The whole Definition with the terminal op pointing at ``result``.

        Its bytes are written once here; the op names come from the metadata.
        """
        # Nothing here changes the marshaller: more ops may follow (Layers).
        data = opbytes.op_input(*self.ref(result))  # the terminal op: its one input only
        dgst = digest_of(data)
        ops = [*self.ops, data]
        op_digests = (*self.op_digests, dgst)
        all_metadata = dict(self.metadata)
        acc = all_metadata[dgst] = _MetaAcc().merged(all_metadata.get(dgst))
        caps = {"constraints", "platform"}
        for other in all_metadata.values():
            if other.ignore_cache:
                caps.add("meta.ignorecache")
            if other.description:
                caps.add("meta.description")
            if other.export_cache is not None:
                caps.add("meta.exportcache")
        acc.caps = acc.caps | caps
        names = {}
        entries = []  # (digest, OpMetadata, its locations or None), sorted by digest
        for d in sorted(all_metadata):
            acc = all_metadata[d]
            entries.append((d, acc.to_bytes(), self.locations.get(d)))
            if CUSTOM_NAME_KEY in acc.description:
                names[d] = acc.description[CUSTOM_NAME_KEY]
        infos = [opbytes.source_info(sm.filename, sm.data) for sm in self.source_maps]
        data = opbytes.definition(ops, entries, infos)
        return Definition.marshalled(data, tuple(ops), op_digests, names)

    def add_locations(self, entry: list[bytes], locations: tuple[SourceLocation, ...]) -> None:
        """Append the location messages of ``locations`` to an op's ``entry``."""
        for loc in locations:
            source = loc.source
            if source is self.last_source:  # every op of a recipe: no need to hash it
                index = self.last_source_index
            else:
                index = self.source_maps.setdefault(source, len(self.source_maps))
                self.last_source, self.last_source_index = source, index
            ranges = tuple(
                [(r.start.line, r.start.character, r.end.line, r.end.character)
                 for r in loc.ranges]
            )
            entry.append(opbytes.location(index, ranges))

    def ref(self, output: Output) -> tuple[str, int]:
        """(digest, index) of an output of a done vertex: what an ``Input`` holds."""
        return self.done[id(output.vertex)][0], output.index

    def input_index(self, inputs: list[tuple[str, int]], output: Output) -> int:
        """Index of ``output`` among an op's inputs, added when new (Go de-duplicates)."""
        ref = (self.done[id(output.vertex)][0], output.index)
        if ref in inputs:
            return inputs.index(ref)
        inputs.append(ref)
        return len(inputs) - 1

    def encode(self, vertex: object) -> tuple[bytes, frozenset[str]]:
        """The op bytes of ``vertex`` and the caps it needs."""
        if isinstance(vertex, ExecVertex):
            return self.exec_op(vertex)
        if isinstance(vertex, FileVertex):
            return self.file_op(vertex)
        if isinstance(vertex, SourceVertex):
            return self.source_op(vertex)
        raise GraphError(f"unknown vertex type {type(vertex).__name__}")

    @staticmethod
    def op_bytes(inputs: list[tuple[str, int]], platform: bytes, meta: OpMeta, member: bytes):
        """Op fields in Go's order: inputs, platform, constraints, then the member."""
        return (
            b"".join([opbytes.op_input(d, i) for d, i in inputs])
            + platform
            + opbytes.op_constraints(meta.worker_constraints)
            + member
        )

    def source_op(self, v: SourceVertex) -> tuple[bytes, frozenset[str]]:
        """Op bytes and caps of a source (image, git)."""
        platform = b""
        if v.platform_specific:
            platform = platform_field(v.platform) if v.platform else self.default_platform
        member = opbytes.source_op(v.identifier, v.attrs)
        return self.op_bytes([], platform, v.meta, member), v.caps

    def exec_op(self, v: ExecVertex) -> tuple[bytes, frozenset[str]]:
        """Op bytes and caps of an exec vertex."""
        return self.exec_bytes(
            v.sorted_mounts(), v.secrets, v.ssh, v.args, v.env, v.cwd, v.user, v.hostname,
            v.network, v.security, v.platform, v.meta,
        )

    def exec_bytes(
        self,
        sorted_mounts: Iterable[FsMount],
        secrets: tuple[SecretMount, ...],
        ssh: tuple[SSHMount, ...],
        args: tuple[str, ...],
        env: tuple[tuple[str, str], ...],
        cwd: str,
        user: str,
        hostname: str,
        network: NetMode,
        security: SecurityMode,
        platform: Platform | None,
        meta: OpMeta,
    ) -> tuple[bytes, frozenset[str]]:
        """Op bytes and caps of an exec (the fields of an :class:`ExecVertex`)."""
        inputs: list[tuple[str, int]] = []
        input_indexes = tuple(
            [-1 if m.source is None else self.input_index(inputs, m.source) for m in sorted_mounts]
        )
        shape = exec_shape(
            sorted_mounts, input_indexes, secrets, ssh, env, cwd, user, hostname, network,
            security, platform_field(platform) if platform else self.default_platform,
        )
        return self.op_bytes(inputs, shape.platform, meta, shape.member(args)), shape.caps

    def file_op(self, v: FileVertex) -> tuple[bytes, frozenset[str]]:
        """Op bytes and caps of a file op: its actions chained through unnamed outputs."""
        inputs: list[tuple[str, int]] = []
        base = -1 if v.base.output is None else self.input_index(inputs, v.base.output)
        seconds: list[int] = []
        for action in v.actions:
            second = -1
            if isinstance(action, Copy) and action.source.output is not None:
                second = self.input_index(inputs, action.source.output)
            seconds.append(second)
        n_inputs = len(inputs)
        last = len(v.actions) - 1
        actions = []
        for i, action in enumerate(v.actions):
            member, body = _action(action, v.base.cwd, base)
            actions.append(
                opbytes.file_action(
                    base if i == 0 else n_inputs + i - 1,
                    seconds[i],
                    0 if i == last else -1,
                    member,
                    body,
                )
            )
        # file ops are not platform specific: no platform field
        return self.op_bytes(inputs, b"", v.meta, opbytes.file_op(actions)), _FILE_CAPS


_FILE_CAPS = frozenset({"file.base"})


def platform_field(platform: Platform) -> bytes:
    """The ``Op.platform`` field for ``platform``."""
    return opbytes.op_platform(platform.architecture, platform.os, platform.variant)


class ExecShape(NamedTuple):
    """The bytes of an exec op but its inputs and args, which the execs of a chain share."""

    env_and_tail: bytes  # Meta after args: env, cwd, user, hostname, flags
    mounts_and_modes: bytes  # ExecOp after meta: mounts, network, security
    caps: frozenset[str]
    platform: bytes  # the Op.platform field

    def member(self, args: tuple[str, ...]) -> bytes:
        """The ``Op.exec`` member running ``args``."""
        meta = opbytes.exec_meta(_args_field(args), self.env_and_tail)
        return opbytes.submessage(opbytes.EXEC, meta + self.mounts_and_modes)


def exec_shape(
    sorted_mounts: Iterable[FsMount],
    input_indexes: tuple[int, ...],
    secrets: tuple[SecretMount, ...],
    ssh: tuple[SSHMount, ...],
    env: tuple[tuple[str, str], ...],
    cwd: str,
    user: str,
    hostname: str,
    network: NetMode,
    security: SecurityMode,
    platform: bytes,
) -> ExecShape:
    """An exec's :class:`ExecShape`; ``input_indexes`` are its mounts' input indexes."""
    caps = set(_exec_caps(network, security, bool(secrets), bool(ssh)))
    mounts = []
    out_index = 0
    for m, input_ in zip(sorted_mounts, input_indexes, strict=True):
        output = -1
        if m.has_output:
            output = out_index
            out_index += 1
        data, mount_caps = _fs_mount(m, input_, output)
        mounts.append(data)
        caps |= mount_caps
    mounts += [_secret_mount(s) for s in secrets]
    mounts += [_ssh_mount(s) for s in ssh]
    modes = opbytes.number(3, int(network)) + opbytes.number(4, int(security))
    return ExecShape(
        _env_field(env) + _meta_tail(cwd, user, hostname),
        b"".join(mounts) + modes,
        frozenset(caps),
        platform,
    )


# Exec ops of one compile share most of their parts (env, cwd and user, the root
# and cache mounts, secret mounts): each distinct part is written once.


@lru_cache(maxsize=64)
def _exec_caps(network: int, security: int, secrets: bool, ssh: bool) -> frozenset[str]:
    caps = {"exec.meta.base"}
    if network:
        caps.add("exec.meta.network")
    if security:
        caps.add("exec.meta.security")
    if secrets:
        caps.add("exec.mount.secret")
    if ssh:
        caps.add("exec.mount.ssh")
    return frozenset(caps)


def _args_field(args: tuple[str, ...]) -> bytes:
    # Execs differ in their last argument (a script, a payload) far more often than
    # in the ones before it (the shell or launcher), which are written once.
    return _args_prefix(args[:-1]) + opbytes.blob(1, args[-1].encode("utf-8"))


@lru_cache(maxsize=256)
def _args_prefix(args: tuple[str, ...]) -> bytes:
    return opbytes.texts(1, args)


@lru_cache(maxsize=256)
def _env_field(env: tuple[tuple[str, str], ...]) -> bytes:
    return opbytes.texts(2, [f"{k}={val}" for k, val in env])


@lru_cache(maxsize=256)
def _meta_tail(cwd: str, user: str, hostname: str) -> bytes:
    return opbytes.meta_tail(cwd, user, hostname)


def _fs_mount(m: FsMount, input_: int, output: int) -> tuple[bytes, frozenset[str]]:
    """Bytes and caps of a root, bind, cache or tmpfs mount with its input/output index."""
    if isinstance(m, CacheMount):
        return _cache_mount(m.dest, m.selector, input_, output, m.id, int(m.sharing))
    if isinstance(m, TmpfsMount):
        return _tmpfs_mount(m.dest, input_, output, m.size)
    return _bind_mount(m.dest, m.selector, input_, output, m.readonly, m.source is not None)


def _selector_caps(selector: str) -> set[str]:
    return {"exec.mount.selector"} if selector else set()


@lru_cache(maxsize=256)
def _bind_mount(dest, selector, input_, output, readonly, has_source):
    caps = _selector_caps(selector) | ({"exec.mount.bind"} if has_source else set())
    data = opbytes.mount(input_, selector, dest, output, readonly, opbytes.BIND)
    return data, frozenset(caps)


@lru_cache(maxsize=256)
def _cache_mount(dest, selector, input_, output, cache_id, sharing):
    caps = _selector_caps(selector) | {"exec.mount.cache", "exec.mount.cache.sharing"}
    options = opbytes.cache_options(cache_id, sharing)
    data = opbytes.mount(input_, selector, dest, output, False, opbytes.CACHE, options)
    return data, frozenset(caps)


@lru_cache(maxsize=64)
def _tmpfs_mount(dest, input_, output, size):
    caps = {"exec.mount.tmpfs"} | ({"exec.mount.tmpfs.size"} if size > 0 else set())
    options = opbytes.tmpfs_options(size)
    data = opbytes.mount(input_, "", dest, output, False, opbytes.TMPFS, options)
    return data, frozenset(caps)


@lru_cache(maxsize=1024)
def _secret_mount(s: SecretMount) -> bytes:
    # Output is left 0 (unset) for secret mounts, as the Go client writes it.
    options = opbytes.secret_options(21, s.id, s.uid, s.gid, s.mode, s.optional)
    return opbytes.mount(-1, "", s.dest, 0, False, opbytes.SECRET, options)


@lru_cache(maxsize=64)
def _ssh_mount(s: SSHMount) -> bytes:
    options = opbytes.secret_options(22, s.id, s.uid, s.gid, s.mode, s.optional)
    return opbytes.mount(-1, "", s.dest, 0, False, opbytes.SSH, options)


def _timestamp(ns: int | None) -> int:
    return -1 if ns is None else ns


def _action(action: object, cwd: str, base: int) -> tuple[int, bytes]:
    """(FileAction oneof field, body) of one file action."""
    if isinstance(action, Mkdir):
        body = (
            opbytes.text(1, paths.resolve(cwd, action.path))
            + opbytes.number(2, action.mode & 0o777)
            + opbytes.number(3, action.parents)
            + _owner(4, action.owner, base)
            + opbytes.number(5, _timestamp(action.created_ns))
        )
        return opbytes.MKDIR, body
    if isinstance(action, Mkfile):
        body = (
            opbytes.text(1, paths.resolve(cwd, action.path))
            + opbytes.number(2, action.mode & 0o777)
            + (opbytes.blob(3, action.data) if action.data else b"")
            + _owner(4, action.owner, base)
            + opbytes.number(5, _timestamp(action.created_ns))
        )
        return opbytes.MKFILE, body
    if isinstance(action, Rm):
        body = (
            opbytes.text(1, paths.resolve(cwd, action.path))
            + opbytes.number(2, action.allow_not_found)
            + opbytes.number(3, action.allow_wildcard)
        )
        return opbytes.RM, body
    if isinstance(action, Copy):
        return opbytes.COPY, _copy(action, cwd, base)
    raise GraphError(f"unknown file action {action!r}")


def _copy(action: Copy, cwd: str, base: int) -> bytes:
    src = paths.clean(action.src)
    src_dir = "/" if src.startswith("/") else action.source.cwd
    return (
        opbytes.text(1, paths.join(src_dir, src))
        + opbytes.text(2, paths.resolve(cwd, action.dest, keep_slash=True))
        + _owner(3, action.owner, base)
        + opbytes.number(4, -1 if action.mode is None else action.mode)
        + opbytes.number(5, action.follow_symlinks)
        + opbytes.number(6, action.dir_contents_only)
        + opbytes.number(7, action.attempt_unpack)
        + opbytes.number(8, action.create_dest_path)
        + opbytes.number(9, action.allow_wildcard)
        + opbytes.number(10, action.allow_empty_wildcard)
        + opbytes.number(11, _timestamp(action.created_ns))
        + opbytes.texts(12, action.include_patterns)
        + opbytes.texts(13, action.exclude_patterns)
    )


def _owner(field: int, owner: Owner | None, base: int) -> bytes:
    """The action's ``ChownOpt``; names resolve against the base input's /etc/passwd."""
    if owner is None:
        return b""
    return _chown(field, owner, base)


@lru_cache(maxsize=256)
def _chown(field: int, owner: Owner, base: int) -> bytes:
    # Cached: a compile sets the same few owners (root, devzero, 1000:1000) on its files.
    sides = b""
    for side, ref in ((1, owner.user), (2, owner.group)):
        if ref is None:
            continue
        if ref.name is not None:
            sides += opbytes.user_by_name(side, ref.name, base)
        else:
            sides += opbytes.user_by_id(side, ref.id)
    return opbytes.submessage(field, sides)
