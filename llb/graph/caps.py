"""BuildKit LLB capabilities: what each op needs, and refusing what the daemon lacks.

Every op's ``OpMetadata.caps`` is checked by the daemon when it loads the LLB,
but its error names only the cap. Checking here first lets the client refuse a
graph with a readable message naming the step, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from llb.pb import ops_pb2 as pb

from .definition import Definition
from .types import CUSTOM_NAME_KEY

# The 42 LLB caps of BuildKit v0.8, the version embedded in Docker Engine 20.10
# (buildkit-protocol.md §1.9; the "soruce" typo is BuildKit's own).
V0_8_LLB_CAPS: frozenset[str] = frozenset(
    {
        "source.image", "source.image.resolvemode", "source.local", "source.local.unique",
        "source.local.sessionid", "source.local.includepatterns", "source.local.followpaths",
        "source.local.excludepatterns", "source.local.sharedkeyhint", "source.git",
        "source.git.keepgitdir", "source.git.fullurl", "source.git.httpauth",
        "source.git.knownsshhosts", "source.git.mountsshsock", "source.http",
        "source.http.checksum", "source.http.perm", "soruce.http.uidgid",
        "source.buildop.llbfilename",
        "exec.meta.base", "exec.meta.proxyenv", "exec.meta.network", "exec.meta.security",
        "exec.meta.setsdefaultpath", "exec.meta.security.devices.v1", "exec.mount.bind",
        "exec.mount.bind.readwrite-nooutput", "exec.mount.cache", "exec.mount.cache.sharing",
        "exec.mount.selector", "exec.mount.tmpfs", "exec.mount.secret", "exec.mount.ssh",
        "exec.cgroup",
        "file.base", "file.rm.wildcard",
        "constraints", "platform", "meta.ignorecache", "meta.description", "meta.exportcache",
    }
)  # fmt: skip


@dataclass(frozen=True)
class MissingCap:
    """One cap an op needs that the daemon does not offer."""

    digest: str
    name: str
    cap: str


class UnsupportedCapsError(RuntimeError):
    """The graph uses features the BuildKit daemon does not support.

    Attributes:
        missing: every (op, cap) pair that is not supported.
    """

    def __init__(self, missing: list[MissingCap], daemon: str) -> None:
        self.missing = missing
        lines = [
            f"  {m.name or m.digest[:19]}: needs BuildKit capability {m.cap!r}" for m in missing
        ]
        super().__init__(f"the build uses features {daemon} does not support:\n" + "\n".join(lines))


def _implied_caps(op: pb.Op) -> set[str]:
    # The Go client (v0.24) never records file-copy caps (its cap loop runs over an
    # empty list), yet the fields are ignored by older daemons. Add them here so an
    # old daemon is refused instead of silently copying everything.
    caps = set()
    if op.HasField("file"):
        for action in op.file.actions:
            if action.HasField("copy") and (
                action.copy.include_patterns or action.copy.exclude_patterns
            ):
                caps.add("file.copy.includepatterns")
    return caps


def required_caps(definition: Definition) -> dict[str, frozenset[str]]:
    """Caps each op needs: the ones in its metadata plus the ones the Go client forgets.

    Returns:
        digest → caps, for every op including the terminal one.
    """
    declared = definition.caps()
    result = {}
    for digest in definition.digests:
        result[digest] = declared.get(digest, frozenset()) | _implied_caps(definition.op(digest))
    return result


def check_caps(
    definition: Definition,
    supported: Iterable[str] = V0_8_LLB_CAPS,
    daemon: str = "the BuildKit daemon",
) -> None:
    """Refuse a graph that needs caps outside ``supported``.

    Args:
        definition: the marshalled graph.
        supported: the daemon's LLB caps (from ``LLBBridge.Ping``), or
            :data:`V0_8_LLB_CAPS` for Docker 20.10.
        daemon: how to name the daemon in the message, e.g. ``"Docker 20.10 (BuildKit v0.8)"``.

    Raises:
        UnsupportedCapsError: listing every op (by custom name when it has one) and cap.
    """
    allowed = frozenset(supported)
    missing = []
    for digest, caps in required_caps(definition).items():
        name = definition.metadata(digest)["description"].get(CUSTOM_NAME_KEY, "")
        missing += [MissingCap(digest, name, cap) for cap in sorted(caps - allowed)]
    if missing:
        raise UnsupportedCapsError(missing, daemon)
