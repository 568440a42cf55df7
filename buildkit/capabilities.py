"""What the connected daemon is and what it can do.

Docker 20.10's embedded BuildKit (v0.8) and a current buildkitd differ in the
exporter, the push path and the cache exporters.  Detection uses the signals
the protocol reference lists: ``Info`` (UNIMPLEMENTED before v0.10-era daemons),
``ListWorkers`` (worker ``moby`` means Docker) and, inside a gateway build,
``LLBBridge.Ping``'s LLB caps.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from buildkit.errors import UnsupportedCapability, from_rpc_error
from buildkit.pb import control_pb2, control_pb2_grpc


@dataclass(frozen=True)
class Worker:
    """One worker of the daemon."""

    id: str
    platforms: tuple[str, ...]
    labels: dict


@dataclass(frozen=True)
class DaemonInfo:
    """The detected daemon.

    Attributes:
        kind: ``docker`` (embedded BuildKit) or ``buildkitd``.
        version: BuildKit version from ``Info``, empty when Info is unimplemented.
        workers: the daemon's workers.
    """

    kind: str
    version: str
    workers: tuple[Worker, ...]

    @property
    def is_docker(self) -> bool:
        """True for Docker Engine's embedded BuildKit."""
        return self.kind == "docker"

    @property
    def exporter(self) -> str:
        """The image exporter's name."""
        return "moby" if self.is_docker else "image"

    @property
    def cache_export_type(self) -> str:
        """The cache exporter to use: Docker 20.10 only has ``inline``."""
        return "inline" if self.is_docker else "registry"

    @property
    def pushes_in_exporter(self) -> bool:
        """Whether the image exporter can push by itself.

        The image exporter pushes (``push=true``); Docker's ``moby`` exporter cannot,
        so there the image goes through the Engine API afterwards.
        """
        return not self.is_docker

    @property
    def oci_mediatypes(self) -> bool:
        """Whether manifests may use OCI media types.

        Image and cache manifests may use OCI media types (``oci-mediatypes``); the
        v0.8 exporters predate the attribute.
        """
        return not self.is_docker

    @property
    def compression_level_attr(self) -> bool:
        """Whether exporters take ``compression`` and ``compression-level``.

        buildkitd's image and registry-cache exporters do; Docker 20.10's ``moby``
        exporter and inline cache predate them.
        """
        return not self.is_docker

    @property
    def registry_insecure_attr(self) -> bool:
        """Whether plain HTTP can be asked for per request.

        Exporters and cache importers take ``registry.insecure`` per request; Docker
        reads plain-HTTP registries from its own daemon config only.
        """
        return not self.is_docker

    @property
    def platform(self) -> tuple[str, str]:
        """(os, architecture) of the first worker's default platform."""
        first = self.workers[0].platforms[0] if self.workers and self.workers[0].platforms else ""
        os_name, _, arch = first.partition("/")
        return os_name or "linux", (arch.split("/")[0] if arch else "amd64")


def list_workers(channel: grpc.Channel, timeout: float = 10.0) -> tuple[Worker, ...]:
    """The daemon's workers (``Control.ListWorkers``)."""
    stub = control_pb2_grpc.ControlStub(channel)
    try:
        reply = stub.ListWorkers(control_pb2.ListWorkersRequest(), timeout=timeout)
    except grpc.RpcError as err:
        raise from_rpc_error(err, "ListWorkers") from None
    return tuple(
        Worker(
            id=r.ID,
            platforms=tuple(f"{p.OS}/{p.Architecture}" + (f"/{p.Variant}" if p.Variant else "")
                            for p in r.platforms),
            labels=dict(r.Labels),
        )
        for r in reply.record
    )


def detect(channel: grpc.Channel, timeout: float = 10.0) -> DaemonInfo:
    """Identify the daemon behind ``channel``.

    Raises:
        DaemonUnreachable: when the daemon does not answer.
    """
    workers = list_workers(channel, timeout)
    version = ""
    stub = control_pb2_grpc.ControlStub(channel)
    try:
        version = stub.Info(control_pb2.InfoRequest(), timeout=timeout).buildkitVersion.version
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.UNIMPLEMENTED:
            raise from_rpc_error(err, "Info") from None
    kind = "docker" if any(w.id == "moby" for w in workers) else "buildkitd"
    return DaemonInfo(kind=kind, version=version, workers=workers)


def required_caps(definition) -> set[str]:
    """Every capability the Definition's ops declare in their metadata."""
    caps: set[str] = set()
    for meta in definition.metadata.values():
        caps.update(cap for cap, needed in meta.caps.items() if needed)
    return caps


def check_caps(definition, llb_caps) -> None:
    """Refuse a Definition that needs caps the daemon lacks (from ``LLBBridge.Ping``).

    Raises:
        UnsupportedCapability: naming the missing caps.
    """
    enabled = {cap.ID for cap in llb_caps if cap.Enabled}
    missing = sorted(required_caps(definition) - enabled)
    if missing:
        raise UnsupportedCapability(
            f"the daemon does not support {', '.join(missing)}", tuple(missing))
