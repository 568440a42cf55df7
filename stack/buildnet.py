"""The build network: where buildkitd's steps run, and the firewall that fences it.

buildkitd's ``bridge`` network mode gives every exec its own network namespace on a
bridge with NAT (Debian's CNI plugins).  NAT alone would still let a step reach
everything the host reaches, our control plane on loopback and on the host's own
addresses first.  So a chain in the ``raw`` table (before conntrack and before the
CNI firewall plugin's ACCEPT rules, so nothing can whitelist around it) drops every
packet from the build subnet to:

* loopback, the host's own addresses and the networks they sit on;
* every private, shared, link-local and reserved range (other tenants' services,
  cloud metadata endpoints, the next host's control plane);

except DNS to the resolvers the host itself uses.  Egress to public addresses
(Debian's archive for ``apt-get`` steps) is untouched.

A marker file records that this stack installed the rules, so ``down`` removes only
what ``up`` installed.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.health import Check
from stack.layout import Layout

NAME = "build-network"
CHAIN = "RB-BUILD-ISOLATION"
CNI_PLUGINS = Path("/usr/lib/cni")  # Debian's containernetworking-plugins

# Destinations no build step may reach, besides the host's own addresses and networks.
# The documentation ranges (TEST-NET-1..3) are left out on purpose: they are assigned
# to nobody on the Internet, and some networks (these machines' among them) put public
# services such as Debian's archive there; the host's own TEST-NET is still added.
BLOCKED_RANGES = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "224.0.0.0/4", "240.0.0.0/4",
)


@dataclass(frozen=True)
class Network:
    bridge: str
    subnet: str

    @property
    def gateway(self) -> str:
        return str(next(ipaddress.ip_network(self.subnet).hosts()))


DEFAULT = Network("rbbuild0", "10.213.0.0/16")


def resolvers(resolv_conf: Path = Path("/etc/resolv.conf")) -> list[str]:
    """IPv4 nameservers of the host; build steps may ask them (and only them) for DNS."""
    found = []
    try:
        text = resolv_conf.read_text()
    except OSError:
        return found
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            try:
                address = ipaddress.ip_address(parts[1])
            except ValueError:
                continue
            if address.version == 4 and not address.is_loopback:
                found.append(str(address))
    return found


def host_networks() -> list[str]:
    """Every IPv4 address of this host, as the network it sits on (``ip -o addr``)."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], check=True, capture_output=True,
                         text=True).stdout
    nets = []
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            iface = ipaddress.ip_interface(fields[fields.index("inet") + 1])
            nets += [f"{iface.ip}/32", str(iface.network)]
    return sorted(set(nets))


def rules(network: Network, dns: list[str], blocked: list[str]) -> list[list[str]]:
    """The chain's rules, in order (pure: the tests read them too)."""
    out = []
    for server in dns:
        for proto in ("udp", "tcp"):
            out.append(["-d", f"{server}/32", "-p", proto, "--dport", "53", "-j", "RETURN"])
    for dest in blocked:
        out.append(["-d", dest, "-j", "DROP"])
    return out


def _iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    binary = shutil.which("iptables") or "/usr/sbin/iptables"
    return subprocess.run([binary, "-w", "-t", "raw", *args], check=check,
                          capture_output=True, text=True)


def _jump(network: Network) -> list[str]:
    return ["PREROUTING", "-s", network.subnet, "-j", CHAIN]


def installed(network: Network = DEFAULT) -> bool:
    return _iptables("-C", *_jump(network), check=False).returncode == 0


def install(network: Network = DEFAULT) -> None:
    """(Re)write the chain from scratch and hook it into ``raw PREROUTING``."""
    if _iptables("-n", "-L", CHAIN, check=False).returncode != 0:
        _iptables("-N", CHAIN)
    _iptables("-F", CHAIN)
    blocked = sorted(set(BLOCKED_RANGES) | set(host_networks()))
    for rule in rules(network, resolvers(), blocked):
        _iptables("-A", CHAIN, *rule)
    if not installed(network):
        _iptables("-I", *_jump(network))


def remove(network: Network = DEFAULT) -> None:
    while installed(network):
        _iptables("-D", *_jump(network))
    if _iptables("-n", "-L", CHAIN, check=False).returncode == 0:
        _iptables("-F", CHAIN)
        _iptables("-X", CHAIN, check=False)


def _marker(layout: Layout) -> Path:
    return layout.root / "run" / f"{NAME}.installed"


def status(layout: Layout) -> Check:
    if installed():
        return Check(True, f"{CHAIN} fences {DEFAULT.subnet} ({DEFAULT.bridge})", 0.0)
    return Check(False, f"no {CHAIN} rules for {DEFAULT.subnet}", 0.0)


def up(layout: Layout) -> str:
    if not CNI_PLUGINS.joinpath("bridge").exists():
        raise RuntimeError(f"no CNI bridge plugin in {CNI_PLUGINS}: run scripts/bootstrap")
    # Always rewrite: the host's addresses or resolvers may have changed since.
    state = "running" if installed() else "started"
    install()
    marker = _marker(layout)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{DEFAULT.subnet}\n")
    return state


def down(layout: Layout) -> bool:
    marker = _marker(layout)
    if not marker.exists():
        return False
    remove()
    marker.unlink()
    return True
