"""Fixtures for the BuildKit client tests: the engine, a busybox base, tiny LLB graphs.

The suite runs against the configured engine (``RB_BUILDKIT_ADDR``): the stack's
buildkitd in the main pass of ``scripts/run-tests``, Docker's embedded BuildKit in
the second.  Graphs are built directly with ``ops_pb2`` + sha256, the way the
protocol reference describes, so these tests do not depend on the LLB compiler; ops
are encoded in Go's field order (buildkitd re-encodes and re-digests what it gets).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest

import buildkit
from buildkit.engine import EngineClient, registry_auth
from core.health import buildkit_check
from llb.graph import wire
from llb.pb import ops_pb2
from tests.conftest import need

PATH_ENV = "PATH=/bin:/usr/bin:/sbin:/usr/sbin"


@dataclass(frozen=True)
class Daemon:
    """One daemon under test and how to build against it."""

    address: str
    kind: str  # "docker" or "buildkitd"
    net_mode: int
    entitlements: tuple[str, ...]
    insecure_registry: bool


@pytest.fixture(scope="session")
def daemon(request, settings) -> Daemon:
    """The configured engine: the stack's buildkitd, or Docker's embedded BuildKit."""
    if settings.engine_is_docker:
        request.getfixturevalue("docker_socket")
        host = settings.network_mode == "host"
        return Daemon(settings.buildkit_addr, "docker",
                      ops_pb2.HOST if host else ops_pb2.NONE,
                      ("network.host",) if host else (), False)
    check = buildkit_check(settings.buildkit_addr)
    need(check.ok, f"buildkitd is not answering: {check.detail}; run scripts/services up")
    return Daemon(settings.buildkit_addr, "buildkitd", ops_pb2.UNSET, (), True)


@pytest.fixture
def client(daemon):
    with buildkit.connect(daemon.address) as c:
        yield c


@pytest.fixture(scope="session")
def engine(docker_socket) -> EngineClient:
    """The Engine API of the stack's dockerd (Docker-only tests and checks)."""
    return EngineClient(str(docker_socket))


@pytest.fixture(scope="session")
def team_credentials(settings, pull_credentials):
    """A session credential lookup holding the ``rbtest`` team's robot credentials."""
    creds = buildkit.RegistryCredentials(pull_credentials.username, pull_credentials.password)
    return lambda host: creds if host == settings.registry else None


@pytest.fixture(scope="session")
def registry_auth_header(settings, pull_credentials) -> str:
    """``X-Registry-Auth`` of the ``rbtest`` team for Engine API pulls."""
    return registry_auth(pull_credentials.username, pull_credentials.password, settings.registry)


@pytest.fixture(scope="session")
def busybox(request, settings, daemon, registry_auth_header) -> str:
    """``<registry>/library/busybox:latest`` (seeded by ``scripts/services up``); on
    Docker also pulled into dockerd (the Engine's image store serves its solves)."""
    from pipeline.registry_settings import registry_settings
    from registry.naming import parse_ref
    from registry.wiring import system_client

    ref = f"{settings.registry}/library/busybox:latest"
    parsed = parse_ref(ref)
    with system_client(registry_settings(settings)) as registry:
        try:
            registry.get_manifest(parsed.repository, parsed.reference)
        except Exception as err:  # any failure here means the seed is missing
            need(False, f"{ref} is not in the registry ({err}); run scripts/services up")
    if daemon.kind != "docker":
        return ref
    engine = request.getfixturevalue("engine")
    if engine.inspect_image(ref) is None:
        try:
            engine.pull(ref, auth=registry_auth_header)
        except buildkit.BuildKitError as err:
            need(False, f"{ref} is not in the registry ({err}); run scripts/services up")
    return ref


# ---- tiny LLB graphs ------------------------------------------------------------


@dataclass
class Graph:
    """Accumulates ops and metadata; :meth:`definition` seals it with a terminal op."""

    ops: dict[str, bytes] = field(default_factory=dict)
    metadata: dict[str, ops_pb2.OpMetadata] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)

    def add(self, op: ops_pb2.Op, caps: tuple[str, ...] = (), name: str = "",
            line: int = 0) -> str:
        op.platform.OS, op.platform.Architecture = "linux", "amd64"
        op.constraints.SetInParent()
        data = wire.encode(op)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.ops[digest] = data
        meta = ops_pb2.OpMetadata(caps={c: True for c in caps})
        if name:
            meta.description["llb.customname"] = name
        self.metadata[digest] = meta
        if line:
            self.locations[digest] = line
        return digest

    def image(self, ref: str) -> str:
        op = ops_pb2.Op(source=ops_pb2.SourceOp(identifier=f"docker-image://{ref}"))
        return self.add(op, ("source.image",))

    def run(self, base: str, script: str, daemon: Daemon, env: tuple[str, ...] = (),
            secret: str = "", name: str = "", line: int = 0) -> str:
        """An exec of ``sh -c script`` on ``base``; optional secret at /run/secrets/<id>."""
        mounts = [ops_pb2.Mount(input=0, dest="/", output=0)]
        caps = ["exec.meta.base", "exec.mount.bind"]
        if secret:
            mounts.append(ops_pb2.Mount(
                input=-1, output=-1, dest=f"/run/secrets/{secret}", mountType=ops_pb2.SECRET,
                secretOpt=ops_pb2.SecretOpt(ID=secret, mode=0o400)))
            caps.append("exec.mount.secret")
        if daemon.net_mode != ops_pb2.UNSET:
            caps.append("exec.meta.network")
        meta = ops_pb2.Meta(args=["/bin/sh", "-c", script], env=[PATH_ENV, *env], cwd="/")
        op = ops_pb2.Op(inputs=[ops_pb2.Input(digest=base, index=0)],
                        exec=ops_pb2.ExecOp(meta=meta, mounts=mounts, network=daemon.net_mode))
        return self.add(op, tuple(caps), name or script, line)

    def definition(self, head: str, filename: str = "recipe.yaml") -> ops_pb2.Definition:
        terminal = ops_pb2.Op(inputs=[ops_pb2.Input(digest=head, index=0)])
        d = ops_pb2.Definition(**{"def": [*self.ops.values(),
                                          wire.encode(terminal)]})
        for digest, meta in self.metadata.items():
            d.metadata[digest].CopyFrom(meta)
        if self.locations:
            d.Source.infos.add(filename=filename, data=b"")
            for digest, line in self.locations.items():
                loc = d.Source.locations[digest].locations.add(sourceIndex=0)
                rng = loc.ranges.add()
                rng.start.Line, rng.end.Line = line, line
        return d


@pytest.fixture
def graph() -> Graph:
    return Graph()


@pytest.fixture
def solve_options(daemon, team_credentials):
    """SolveOptions carrying the daemon's network entitlements and registry mode."""
    def make(**kwargs) -> buildkit.SolveOptions:
        kwargs.setdefault("entitlements", daemon.entitlements)
        kwargs.setdefault("insecure_registry", daemon.insecure_registry)
        kwargs.setdefault("credentials", team_credentials)
        return buildkit.SolveOptions(**kwargs)
    return make
