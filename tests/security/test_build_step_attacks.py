"""Attacks from inside a build step: the step is the attacker, the control plane the target.

Team A builds first (its log stream and records are the prize).  Team B then submits
hostile recipes through the real pipeline on the stack's buildkitd.  Each step tries
to reach every control-plane service on the addresses a step could use for the host:
its own loopback, the host's uplink addresses and the build bridge's gateway; a
canary server of this test listens on all of the host's addresses, so a route to the
host cannot hide behind "nothing listens there".  Every attempt must fail, the canary
must see no connection, and A's records and logs must be untouched.  Egress to the
outside (the Debian archive, DNS) must keep working, which also shows the probes work.

These run on buildkitd only; on Docker's embedded BuildKit the isolation is the
workers' refusal to start (tests/tasks/test_worker_refusal.py).
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from core.db import BuildState
from stack import buildnet
from stack.rootfs import debian_mirror
from tests.conftest import need

PROBE_TIMEOUT_S = 3
# Ports per batch of non-blocking connects, and how long a batch waits for answers: a
# listener on a reachable address answers a SYN in well under a millisecond.
SCAN_BATCH = 4096
SCAN_WAIT_S = 0.3

HOSTILE_RECIPE = """\
version: "3"
image: {registry}/library/devbox:bookworm
build:
  steps:
    - type: command
      user: root
      command: |
{script}
"""


def hostile_recipe(settings, script: str) -> str:
    body = "\n".join(f"        {line}" for line in script.strip().splitlines())
    return HOSTILE_RECIPE.format(registry=settings.registry, script=body)


class Canary:
    """A TCP server on every host address that counts who connects."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.close()


@pytest.fixture(scope="module")
def isolated(settings, build_engine) -> None:
    need(not settings.engine_is_docker,
         "build-step network attacks need the stack's buildkitd (Docker's engine is refused)")
    need(buildnet.installed(), f"the {buildnet.CHAIN} chain is not installed; "
                               "run scripts/services up")


def control_plane_ports(settings) -> dict[str, int]:
    vault = {"vault": urlparse(settings.vault_addr).port or 8200} if settings.vault_addr else {}
    return {
        **vault,
        "redis": urlparse(settings.redis_url).port or 6379,
        "postgres": urlparse(settings.postgres_url.replace("+psycopg", "")).port or 5432,
        "web": settings.web_port,
        "token-service": urlparse(settings.registry_realm).port or 80,
        "flower": settings.flower_port,
        "registry": int(settings.registry.rsplit(":", 1)[1]),
    }


def host_addresses() -> list[str]:
    """Every address a step could use for this host: loopback, uplinks, the gateway."""
    uplinks = [net.split("/")[0] for net in buildnet.host_networks() if net.endswith("/32")]
    return sorted({"127.0.0.1", buildnet.DEFAULT.gateway, *uplinks})


def probe_script(targets: list[tuple[str, int]]) -> str:
    """bash: try each target in parallel; print ``REACHED`` or ``blocked`` per target.

    ``/dev/tcp`` opens a real TCP connection; ``timeout`` bounds a dropped SYN.
    """
    lines = ["probe() {",
             f'  if timeout {PROBE_TIMEOUT_S} bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null;',
             '  then echo "REACHED $1:$2"; else echo "blocked $1:$2"; fi',
             "}"]
    lines += [f"probe {host} {port} &" for host, port in targets]
    lines.append("wait")
    return "\n".join(lines)


def attacker_build(pipeline, team, script: str) -> tuple[str, str]:
    build_id = pipeline.submit(team, hostile_recipe(pipeline.settings, script))
    build = pipeline.wait(build_id, timeout=600)
    assert build.state is BuildState.SUCCEEDED, build.error_message
    return build_id, pipeline.log_text(build_id)


@pytest.fixture(scope="module")
def victim(pipeline, isolated):
    """Team A with a finished build: its records and log stream are what B goes for."""
    team = pipeline.team()
    marker = f"victim-{uuid.uuid4().hex}"
    recipe = hostile_recipe(pipeline.settings, f"echo {marker}")
    build_id = pipeline.submit(team, recipe)
    build = pipeline.wait(build_id, timeout=600)
    assert build.state is BuildState.SUCCEEDED, build.error_message
    return build_id, marker, pipeline.log_text(build_id)


def assert_victim_untouched(pipeline, victim) -> None:
    build_id, marker, log = victim
    assert pipeline.build(build_id).state is BuildState.SUCCEEDED
    assert marker in log
    assert pipeline.log_text(build_id) == log


def test_a_step_reaches_no_control_plane_service_on_any_host_address(
        pipeline, victim, canary):
    ports = {**control_plane_ports(pipeline.settings), "canary": canary.port}
    targets = [(host, port) for host in host_addresses() for port in ports.values()]
    _, log = attacker_build(pipeline, pipeline.team(), probe_script(targets))

    reached = [line for line in log.splitlines() if "REACHED" in line]
    blocked = {line.split("blocked ", 1)[1].strip() for line in log.splitlines()
               if "blocked " in line}
    assert reached == []
    assert blocked == {f"{host}:{port}" for host, port in targets}, log
    assert canary.connections == []
    assert_victim_untouched(pipeline, victim)


def test_a_full_port_scan_of_the_host_finds_nothing(pipeline, victim, canary):
    """All 65 535 ports of every host address, non-blocking connects in batches: a
    reachable listener (the canary at least) answers within the batch's wait."""
    hosts = " ".join(host_addresses())
    scan = f"""
ulimit -n 8192
perl -MIO::Socket::INET -MIO::Select -e '
  my @hosts = split / /, "{hosts}"; my ($tried, $open) = (0, 0);
  for my $h (@hosts) {{ for (my $p = 1; $p <= 65535; $p += {SCAN_BATCH}) {{
    my $s = IO::Select->new; my %port;
    my $last = $p + {SCAN_BATCH} - 1 > 65535 ? 65535 : $p + {SCAN_BATCH} - 1;
    for my $q ($p .. $last) {{
      my $c = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $q, Blocking => 0)
        or die "socket for $h:$q: $!";
      $s->add($c); $port{{$c}} = $q; $tried++; }}
    for my $c ($s->can_write({SCAN_WAIT_S})) {{
      next unless $c->connected;
      # A connect to an unused local port can meet itself (TCP self-connect): not a listener.
      next if $c->sockport == $c->peerport && $c->sockhost eq $c->peerhost;
      print "OPEN $h:$port{{$c}}\\n"; $open++ }}
    $_->close for $s->handles; }} }}
  print "tried $tried connects, open=$open\\n";'
"""
    _, log = attacker_build(pipeline, pipeline.team(), scan)
    scanned = [line for line in log.splitlines() if "tried " in line or "OPEN " in line]
    assert any(f"tried {65535 * len(host_addresses())} connects, open=0" in line
               for line in scanned), scanned or log[-3000:]
    assert "OPEN " not in log
    assert canary.connections == []
    assert_victim_untouched(pipeline, victim)


def test_egress_and_dns_still_work_from_a_step(pipeline, isolated):
    """The fence is not "no network": the Debian archive stays reachable by name (an
    ``apt-get`` step needs it), so the probes above fail for the right reason."""
    mirror = urlparse(debian_mirror())
    port = mirror.port or (443 if mirror.scheme == "https" else 80)
    script = probe_script([(mirror.hostname, port)]) + f"\ngetent hosts {mirror.hostname}"
    _, log = attacker_build(pipeline, pipeline.team(), script)
    assert f"REACHED {mirror.hostname}:{port}" in log, log[-2000:]


def test_the_chain_drops_the_host_and_private_ranges_but_lets_dns_through():
    dns = ["10.255.0.53"]
    rules = buildnet.rules(buildnet.DEFAULT, dns, ["127.0.0.0/8", "192.0.2.2/32"])
    returns = [r for r in rules if r[-1] == "RETURN"]
    drops = [r[1] for r in rules if r[-1] == "DROP"]
    assert rules.index(returns[-1]) < rules.index([r for r in rules if r[-1] == "DROP"][0])
    assert {(r[1], r[3]) for r in returns} == {("10.255.0.53/32", "udp"),
                                                ("10.255.0.53/32", "tcp")}
    assert all(r[5] == "53" for r in returns)
    assert drops == ["127.0.0.0/8", "192.0.2.2/32"]
