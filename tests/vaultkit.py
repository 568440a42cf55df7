"""OpenBao for tests: the stack's server, or a private one for tests that break it.

Sealing or stopping the stack's server would fail other tests running at the same
time, so fault tests start a private server with the stack's own code (same config,
initialisation, unsealing and provisioning) on free ports and a state dir of theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.config import Settings
from stack import vault_server
from stack.layout import Layout
from tests.conftest import free_tcp_port, need, tcp_open


def stack_vault(settings: Settings) -> Layout:
    """The stack's OpenBao (``RB_VAULT_ADDR``), checked to be up and unsealed."""
    layout = Layout(settings)
    need(bool(settings.vault_addr), "RB_VAULT_ADDR is empty: the local store is configured")
    check = vault_server.status(layout)
    need(check.ok, f"{check.detail}; run scripts/services up")
    need((settings.state_dir / "secrets" / vault_server.ROOT_TOKEN).exists(),
         "OpenBao answers but was not initialised by this stack")
    return layout


def _two_free_ports() -> int:
    """A port whose successor is free too (OpenBao's cluster listener takes it)."""
    for _ in range(50):
        port = free_tcp_port()
        if port < 65535 and not tcp_open("127.0.0.1", port + 1, timeout=0.1):
            return port
    raise RuntimeError("no two consecutive free ports")


@contextmanager
def private_openbao(settings: Settings, root: Path) -> Iterator[Layout]:
    """A private OpenBao provisioned like the stack's, with the same AppRole ids."""
    need(vault_server.bao_binary().exists(), "bao is absent: run scripts/bootstrap")
    port = _two_free_ports()
    layout = Layout(settings.with_overrides(state_dir=root,
                                            vault_addr=f"http://127.0.0.1:{port}"))
    vault_server.up(layout)
    try:
        yield layout
    finally:
        vault_server.down(layout)
