"""How a solve reaches registries: exporter and cache attributes per engine, the
session's auth service, plain-HTTP registries off loopback, failed pushes."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from concurrent import futures
from types import SimpleNamespace

import grpc
import psutil
import pytest

import buildkit
from buildkit.capabilities import DaemonInfo, Worker
from buildkit.options import SolveOptions, is_loopback, plain_http_attrs
from buildkit.pb import auth_pb2, auth_pb2_grpc
from buildkit.session import AuthService
from buildkit.solve import SolveRun
from llb.pb import ops_pb2
from pipeline.registry_settings import registry_settings
from registry.naming import parse_ref
from registry.wiring import system_client
from tests.conftest import free_tcp_port, need

BUILDKITD = DaemonInfo("buildkitd", "v0.35.0", (Worker("w0", ("linux/amd64",), {}),))
DOCKER = DaemonInfo("docker", "", (Worker("moby", ("linux/amd64",), {}),))


def _request(info: DaemonInfo, **options):
    # A channel that is never used: nothing here calls the daemon.
    with grpc.insecure_channel("unix:/nonexistent/rb-test.sock") as channel:
        run = SolveRun(SimpleNamespace(channel=channel), info, ops_pb2.Definition(),
                       SolveOptions(**options), None, threading.Event())
        return run._control_request("session-id")


def test_buildkitd_pushes_in_its_exporter_with_oci_types_and_a_max_registry_cache():
    request = _request(BUILDKITD, image_name="127.0.0.1:5000/t/app:1",
                       cache_export="127.0.0.1:5000/t/app:cache",
                       cache_imports=("127.0.0.1:5000/t/app:cache",), insecure_registry=True)
    assert request.Exporter == "image"
    assert dict(request.ExporterAttrs) == {"name": "127.0.0.1:5000/t/app:1", "push": "true",
                                           "oci-mediatypes": "true"}
    (export,) = request.Cache.Exports
    assert export.Type == "registry"
    assert dict(export.Attrs) == {"ref": "127.0.0.1:5000/t/app:cache", "mode": "max",
                                  "oci-mediatypes": "true"}
    assert [(i.Type, dict(i.Attrs)) for i in request.Cache.Imports] == [
        ("registry", {"ref": "127.0.0.1:5000/t/app:cache"})]


def test_a_plain_http_registry_off_loopback_is_insecure_for_image_cache_and_imports():
    request = _request(BUILDKITD, image_name="registry.internal:5000/t/app:1",
                       cache_export="registry.internal:5000/t/app:cache",
                       cache_imports=("registry.internal:5000/t/app:cache",),
                       insecure_registry=True)
    assert request.ExporterAttrs["registry.insecure"] == "true"
    assert request.Cache.Exports[0].Attrs["registry.insecure"] == "true"
    assert request.Cache.Imports[0].Attrs["registry.insecure"] == "true"
    # Behind TLS nothing is insecure.
    tls = _request(BUILDKITD, image_name="registry.internal:5000/t/app:1",
                   cache_export="registry.internal:5000/t/app:cache")
    assert "registry.insecure" not in tls.ExporterAttrs
    assert "registry.insecure" not in tls.Cache.Exports[0].Attrs


def test_docker_keeps_the_v08_path():
    request = _request(DOCKER, image_name="10.0.0.9:5000/t/app:1",
                       cache_export="10.0.0.9:5000/t/app:latest",
                       cache_imports=("10.0.0.9:5000/t/app:latest",), insecure_registry=True)
    assert request.Exporter == "moby"
    assert dict(request.ExporterAttrs) == {"name": "10.0.0.9:5000/t/app:1"}
    assert [e.Type for e in request.Cache.Exports] == ["inline"]
    assert [dict(i.Attrs) for i in request.Cache.Imports] == [
        {"ref": "10.0.0.9:5000/t/app:latest"}]


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1:5000", True), ("127.3.2.1", True), ("localhost:5000", True),
    ("[::1]:5000", True), ("10.0.0.9:5000", False), ("registry.internal", False),
    ("docker.io", False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback
    expected = {} if loopback else {"registry.insecure": "true"}
    assert plain_http_attrs(f"{host}/t/app:1", True) == expected


def test_the_auth_service_answers_token_methods_unimplemented_without_a_traceback(
        tmp_path, caplog):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    auth_pb2_grpc.add_AuthServicer_to_server(AuthService(lambda host: None), server)
    path = tmp_path / "auth.sock"
    server.add_insecure_port(f"unix:{path}")
    server.start()
    try:
        with grpc.insecure_channel(f"unix:{path}") as channel, caplog.at_level(logging.DEBUG):
            stub = auth_pb2_grpc.AuthStub(channel)
            calls = [(stub.GetTokenAuthority, auth_pb2.GetTokenAuthorityRequest(Host="h")),
                     (stub.FetchToken, auth_pb2.FetchTokenRequest(Host="h")),
                     (stub.VerifyTokenAuthority, auth_pb2.VerifyTokenAuthorityRequest(Host="h"))]
            for method, request in calls:
                with pytest.raises(grpc.RpcError) as failure:
                    method(request, timeout=10)
                assert failure.value.code() is grpc.StatusCode.UNIMPLEMENTED
            assert stub.Credentials(auth_pb2.CredentialsRequest(Host="h"), timeout=10) \
                == auth_pb2.CredentialsResponse()
    finally:
        server.stop(grace=None)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_a_solve_with_credentials_logs_no_session_traceback(
        client, daemon, graph, busybox, solve_options, settings, caplog):
    head = graph.run(graph.image(busybox), f"echo {secrets.token_hex(4)} > /x", daemon)
    name = f"{settings.registry}/rbtest/auth-{secrets.token_hex(4)}:v1"
    with caplog.at_level(logging.DEBUG):
        client.solve(graph.definition(head), solve_options(image_name=name))
    noisy = [r for r in caplog.records
             if r.exc_info or "Exception calling application" in r.getMessage()]
    assert noisy == []


def test_a_push_to_an_unreachable_registry_is_a_push_failure(
        client, daemon, graph, busybox, solve_options):
    head = graph.run(graph.image(busybox), f"echo {secrets.token_hex(4)} > /x", daemon)
    # Nothing listens there; the steps succeed and only storing the image fails.
    name = f"127.0.0.1:{free_tcp_port()}/rbtest/nowhere:v1"
    with pytest.raises(buildkit.PushFailed) as failure:
        client.solve(graph.definition(head), solve_options(image_name=name))
    assert not isinstance(failure.value, buildkit.SolveFailed)
    assert "Traceback" not in str(failure.value)


class _Forwarder:
    """A TCP forwarder from ``host:port`` to the stack's registry: the same registry
    as seen at an address off loopback, over plain HTTP."""

    def __init__(self, host: str, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server((host, 0))
        self.address = f"{host}:{self.listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._open += [downstream, upstream]
            for a, b in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()
        for sock in self._open:
            sock.close()


@pytest.fixture
def off_loopback_registry(settings):
    """The stack's registry at a non-loopback address of this host."""
    hosts = [a.address for addrs in psutil.net_if_addrs().values() for a in addrs
             if a.family == socket.AF_INET and not is_loopback(a.address)]
    need(bool(hosts), "this host has no IPv4 address off loopback")
    host, _, port = settings.registry.rpartition(":")
    forwarder = _Forwarder(hosts[0], (host, int(port)))
    yield forwarder.address
    forwarder.close()


def test_a_plain_http_registry_off_loopback_takes_the_image_and_its_cache(
        client, daemon, graph, busybox, solve_options, settings, pull_credentials,
        off_loopback_registry):
    token = secrets.token_hex(4)
    head = graph.run(graph.image(busybox), f"echo {token} > /x", daemon)
    name = f"{off_loopback_registry}/rbtest/plain-{token}:v1"
    cache = f"{off_loopback_registry}/rbtest/plain-{token}:cache"
    creds = buildkit.RegistryCredentials(pull_credentials.username, pull_credentials.password)
    options = solve_options(image_name=name, cache_export=cache, insecure_registry=True,
                            credentials=lambda host: creds)
    if daemon.kind == "docker":
        # Docker decides plain HTTP from its own daemon config (loopback only here),
        # whatever the request says: the push is refused, as a push failure.
        with pytest.raises(buildkit.PushFailed, match="HTTPS"):
            client.solve(graph.definition(head), options)
        return
    result = client.solve(graph.definition(head), options)

    # the same storage, seen on loopback
    with system_client(registry_settings(settings)) as registry:
        assert registry.resolve(parse_ref(f"{settings.registry}/rbtest/plain-{token}:v1")) \
            == result.image_digest
        registry.resolve(parse_ref(f"{settings.registry}/rbtest/plain-{token}:cache"))
