"""The one place that turns graph values into protobuf: ``marshal(state) -> Definition``.

It reproduces BuildKit v0.24's Go client (``client/llb``) byte for byte: the same
op fields and defaults, the same caps per op, the same depth-first post-order
walk (so ``Definition.def`` has the same order), de-duplication by digest,
metadata merged per digest, the terminal op last, and a source map with an entry
for every op. Bytes come from :func:`llb.graph.wire.encode` (Go field order).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from google.protobuf.message import Message

from llb.pb import ops_pb2 as pb

from . import paths, wire
from .definition import Definition
from .exec import CacheMount, ExecVertex, TmpfsMount
from .fileop import Copy, FileVertex, Mkdir, Mkfile, Rm
from .sources import SourceVertex
from .state import Output, State
from .types import (
    LINUX_AMD64,
    GraphError,
    NetMode,
    OpMeta,
    Owner,
    Platform,
    Range,
    SecurityMode,
    SourceMap,
    UserRef,
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
    m = _Marshaller(platform)
    m.walk(state.output.vertex)
    terminal = pb.Op(inputs=[m.to_input(state.output)])
    data = wire.encode(terminal)
    dgst = digest_of(data)
    m.ops.append(data)
    m.op_digests.append(dgst)
    acc = m.metadata.setdefault(dgst, _MetaAcc())
    acc.caps |= {"constraints", "platform"}
    for other in list(m.metadata.values()):
        if other.ignore_cache:
            acc.caps.add("meta.ignorecache")
        if other.description:
            acc.caps.add("meta.description")
        if other.export_cache is not None:
            acc.caps.add("meta.exportcache")
    return Definition.adopt(m.definition_pb(), tuple(m.op_digests))


@lru_cache(maxsize=4096)
def _location_pb(source_index: int, ranges: tuple[Range, ...]) -> pb.Location:
    """A cached location message.

    A location message; the same recipe lines recur in every compile of a recipe,
    so they are built once (callers copy them into the Definition, never mutate).
    """
    return pb.Location(
        sourceIndex=source_index,
        ranges=[
            pb.Range(
                start=pb.Position(Line=r.start.line, Character=r.start.character),
                end=pb.Position(Line=r.end.line, Character=r.end.character),
            )
            for r in ranges
        ],
    )


@dataclass
class _MetaAcc:
    """OpMetadata merged over every vertex sharing a digest (Go's mergeMetadata)."""

    ignore_cache: bool = False
    description: dict[str, str] = field(default_factory=dict)
    export_cache: bool | None = None
    caps: set[str] = field(default_factory=set)

    def merge(self, meta: OpMeta, caps: frozenset[str]) -> None:
        self.ignore_cache |= meta.ignore_cache
        self.description.update(meta.description)
        if meta.export_cache is not None:
            self.export_cache = meta.export_cache
        self.caps |= caps

    def to_pb(self) -> pb.OpMetadata:
        md = pb.OpMetadata(ignore_cache=self.ignore_cache, description=self.description)
        if self.export_cache is not None:
            md.export_cache.Value = self.export_cache
            md.export_cache.SetInParent()
        for cap in self.caps:
            md.caps[cap] = True
        return md


@dataclass
class _Marshalled:
    digest: str
    data: bytes
    caps: frozenset[str]


class _Marshaller:
    """State of one marshal call: the memo per vertex and the growing Definition."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.ops: list[bytes] = []
        self.op_digests: list[str] = []
        self.seen_digests: set[str] = set()
        self.visited: set[int] = set()
        self.memo: dict[int, _Marshalled] = {}
        self.keep: list[object] = []  # keeps memoised vertices alive so ids stay unique
        self.metadata: dict[str, _MetaAcc] = {}
        self.source_maps: list[SourceMap] = []
        self.locations: dict[str, list[pb.Location]] = {}

    def walk(self, root: object) -> None:
        """Depth-first post-order over inputs, like the Go client's ``marshal``.

        Iterative, so long recipes cannot hit Python's recursion limit.
        """
        stack = [(root, iter(root.inputs()))]
        visited = self.visited
        while stack:
            vertex, pending = stack[-1]
            for inp in pending:  # resumes where this vertex's last descent left off
                child = inp.vertex
                if id(child) not in visited:
                    stack.append((child, iter(child.inputs())))
                    break
            else:
                stack.pop()
                if id(vertex) not in visited:
                    self.finish(vertex)

    def finish(self, vertex: object) -> None:
        done = self.marshal_vertex(vertex)
        self.visited.add(id(vertex))
        self.metadata.setdefault(done.digest, _MetaAcc()).merge(vertex.meta, done.caps)
        self.add_locations(done.digest, vertex.meta)
        if done.digest not in self.seen_digests:
            self.seen_digests.add(done.digest)
            self.ops.append(done.data)
            self.op_digests.append(done.digest)

    def definition_pb(self) -> pb.Definition:
        definition = pb.Definition()
        getattr(definition, "def").extend(self.ops)
        for dgst, acc in self.metadata.items():
            definition.metadata[dgst].CopyFrom(acc.to_pb())
        definition.Source.SetInParent()
        for dgst, locations in self.locations.items():
            # Indexing creates the entry: every op gets one, empty or not.
            definition.Source.locations[dgst].locations.extend(locations)
        for sm in self.source_maps:
            definition.Source.infos.add(filename=sm.filename, data=sm.data)
        return definition

    def add_locations(self, dgst: str, meta: OpMeta) -> None:
        entry = self.locations.setdefault(dgst, [])
        for loc in meta.locations:
            if loc.source not in self.source_maps:
                self.source_maps.append(loc.source)
            entry.append(_location_pb(self.source_maps.index(loc.source), loc.ranges))

    def to_input(self, output: Output) -> pb.Input:
        return pb.Input(digest=self.marshal_vertex(output.vertex).digest, index=output.index)

    def marshal_vertex(self, vertex: object) -> _Marshalled:
        key = id(vertex)
        done = self.memo.get(key)
        if done is None:
            op, member, caps = self.build_op(vertex)
            data = wire.encode_with_member(op, member)
            done = _Marshalled(digest_of(data), data, frozenset(caps))
            self.memo[key] = done
            self.keep.append(vertex)
        return done

    # Each op is built as its ordinary fields (inputs, platform, constraints) plus the
    # oneof member on its own, which is how the Go order writes it: no copying of
    # the member out of the op again to put it last.
    def build_op(self, vertex: object) -> tuple[pb.Op, tuple[str, Message], set[str]]:
        if isinstance(vertex, SourceVertex):
            return self.source_op(vertex)
        if isinstance(vertex, ExecVertex):
            return self.exec_op(vertex)
        if isinstance(vertex, FileVertex):
            return self.file_op(vertex)
        raise GraphError(f"unknown vertex type {type(vertex).__name__}")

    def base_op(self, platform: Platform | None, meta: OpMeta) -> pb.Op:
        p = platform or self.platform
        op = pb.Op(platform=pb.Platform(Architecture=p.architecture, OS=p.os, Variant=p.variant))
        op.constraints.filter.extend(meta.worker_constraints)
        op.constraints.SetInParent()  # always present, even empty (`5a 00`)
        return op

    def source_op(self, v: SourceVertex) -> tuple[pb.Op, tuple[str, Message], set[str]]:
        op = self.base_op(v.platform, v.meta)
        if not v.platform_specific:
            op.ClearField("platform")
        source = pb.SourceOp(identifier=v.identifier, attrs=dict(v.attrs))
        return op, ("source", source), set(v.caps)

    def exec_op(self, v: ExecVertex) -> tuple[pb.Op, tuple[str, Message], set[str]]:
        caps = {"exec.meta.base"}
        op = self.base_op(v.platform, v.meta)
        ex = pb.ExecOp()
        ex.meta.args.extend(v.args)
        ex.meta.env.extend(f"{k}={val}" for k, val in v.env)
        ex.meta.cwd = v.cwd
        ex.meta.user = v.user
        ex.meta.hostname = v.hostname
        ex.meta.removeMountStubsRecursive = True
        ex.network = int(v.network)
        ex.security = int(v.security)
        if v.network != NetMode.SANDBOX:
            caps.add("exec.meta.network")
        if v.security != SecurityMode.SANDBOX:
            caps.add("exec.meta.security")
        out_index = 0
        for m in v.sorted_mounts():
            caps |= _mount_caps(m)
            pm = ex.mounts.add(dest=m.dest, selector=m.selector, input=-1, output=-1)
            if m.source is not None:
                pm.input = self.input_index(op, self.to_input(m.source))
            if m.has_output:
                pm.output = out_index
                out_index += 1
            pm.readonly = getattr(m, "readonly", False)
            if isinstance(m, CacheMount):
                pm.mountType = pb.CACHE
                pm.cacheOpt.ID = m.id
                pm.cacheOpt.sharing = int(m.sharing)
            elif isinstance(m, TmpfsMount):
                pm.mountType = pb.TMPFS
                pm.TmpfsOpt.size = m.size
                pm.TmpfsOpt.SetInParent()
        if v.secrets:
            caps.add("exec.mount.secret")
        for s in v.secrets:
            # Output is left 0 (unset) for secret mounts, as the Go client writes it.
            ex.mounts.add(input=-1, dest=s.dest, mountType=pb.SECRET).secretOpt.CopyFrom(
                pb.SecretOpt(ID=s.id, uid=s.uid, gid=s.gid, mode=s.mode, optional=s.optional)
            )
        if v.ssh:
            caps.add("exec.mount.ssh")
        for s in v.ssh:
            ex.mounts.add(input=-1, dest=s.dest, mountType=pb.SSH).SSHOpt.CopyFrom(
                pb.SSHOpt(ID=s.id, uid=s.uid, gid=s.gid, mode=s.mode, optional=s.optional)
            )
        return op, ("exec", ex), caps

    @staticmethod
    def input_index(op: pb.Op, inp: pb.Input) -> int:
        for i, existing in enumerate(op.inputs):
            if existing == inp:
                return i
        op.inputs.append(inp)
        return len(op.inputs) - 1

    def file_op(self, v: FileVertex) -> tuple[pb.Op, tuple[str, Message], set[str]]:
        op = self.base_op(None, v.meta)
        op.ClearField("platform")  # file ops are not platform specific
        file = pb.FileOp()
        base = -1 if v.base.output is None else self.input_index(op, self.to_input(v.base.output))
        seconds: list[int] = []
        for action in v.actions:
            second = -1
            if isinstance(action, Copy) and action.source.output is not None:
                second = self.input_index(op, self.to_input(action.source.output))
            seconds.append(second)
        n_inputs = len(op.inputs)
        last = len(v.actions) - 1
        for i, action in enumerate(v.actions):
            pa = file.actions.add(
                input=base if i == 0 else n_inputs + i - 1,
                secondaryInput=seconds[i],
                output=0 if i == last else -1,
            )
            _fill_action(pa, action, v.base.cwd, base)
        return op, ("file", file), {"file.base"}


def _mount_caps(m: object) -> set[str]:
    caps = set()
    if m.selector:
        caps.add("exec.mount.selector")
    if isinstance(m, CacheMount):
        caps |= {"exec.mount.cache", "exec.mount.cache.sharing"}
    elif isinstance(m, TmpfsMount):
        caps.add("exec.mount.tmpfs")
        if m.size > 0:
            caps.add("exec.mount.tmpfs.size")
    elif m.source is not None:
        caps.add("exec.mount.bind")
    return caps


def _timestamp(ns: int | None) -> int:
    return -1 if ns is None else ns


def _fill_action(pa: pb.FileAction, action: object, cwd: str, base: int) -> None:
    if isinstance(action, Mkdir):
        pa.mkdir.CopyFrom(
            pb.FileActionMkDir(
                path=paths.resolve(cwd, action.path),
                mode=action.mode & 0o777,
                makeParents=action.parents,
                timestamp=_timestamp(action.created_ns),
            )
        )
        _set_owner(pa.mkdir, action.owner, base)
    elif isinstance(action, Mkfile):
        pa.mkfile.CopyFrom(
            pb.FileActionMkFile(
                path=paths.resolve(cwd, action.path),
                mode=action.mode & 0o777,
                data=action.data,
                timestamp=_timestamp(action.created_ns),
            )
        )
        _set_owner(pa.mkfile, action.owner, base)
    elif isinstance(action, Rm):
        pa.rm.CopyFrom(
            pb.FileActionRm(
                path=paths.resolve(cwd, action.path),
                allowNotFound=action.allow_not_found,
                allowWildcard=action.allow_wildcard,
            )
        )
    elif isinstance(action, Copy):
        pa.copy.CopyFrom(_copy_pb(action, cwd))
        _set_owner(pa.copy, action.owner, base)
    else:
        raise GraphError(f"unknown file action {action!r}")


def _copy_pb(action: Copy, cwd: str) -> pb.FileActionCopy:
    src = paths.clean(action.src)
    src_dir = "/" if src.startswith("/") else action.source.cwd
    return pb.FileActionCopy(
        src=paths.join(src_dir, src),
        dest=paths.resolve(cwd, action.dest, keep_slash=True),
        mode=-1 if action.mode is None else action.mode,
        followSymlink=action.follow_symlinks,
        dirCopyContents=action.dir_contents_only,
        attemptUnpackDockerCompatibility=action.attempt_unpack,
        createDestPath=action.create_dest_path,
        allowWildcard=action.allow_wildcard,
        allowEmptyWildcard=action.allow_empty_wildcard,
        timestamp=_timestamp(action.created_ns),
        include_patterns=action.include_patterns,
        exclude_patterns=action.exclude_patterns,
    )


def _set_owner(target: object, owner: Owner | None, base: int) -> None:
    if owner is None:
        return
    for side, ref in (("user", owner.user), ("group", owner.group)):
        if ref is not None:
            _fill_user(getattr(target.owner, side), ref, base)
    target.owner.SetInParent()


def _fill_user(opt: pb.UserOpt, ref: UserRef, base: int) -> None:
    if ref.name is not None:
        opt.byName.name = ref.name
        opt.byName.input = base  # names resolve against this input's /etc/passwd
        opt.byName.SetInParent()
    else:
        opt.byID = ref.id & 0xFFFFFFFF
