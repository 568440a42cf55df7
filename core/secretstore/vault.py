"""Team secrets in Vault's (or OpenBao's) KV v2 engine, through hvac.

Secret ``NAME`` of team ``T`` lives at ``teams/T/NAME`` under the configured mount,
as ``{"value": <text>}`` (or ``{"value_b64": …}`` for non-UTF-8 bytes) so it stays
readable in Vault's own UI.

Isolation is Vault's job, not only ours.  The process logs in as a service (an
AppRole, or a configured token) whose token may do one thing: create *child*
tokens through a token role that only grants ``team-*-read`` (the build path) or
``team-*-write`` (the API path) policies.  Every team operation runs on a
short-lived child token carrying exactly that team's policy, so a call that names
another team's path is refused by Vault (403) even if our code is wrong.  Child
tokens are cached per team and access, renewed when near expiry, and replaced when
renewal is no longer possible.

hvac's errors are translated here: callers see only :mod:`core.secretstore.base`
errors, which never contain values.  Down, sealed or unreachable is
:class:`SecretStoreUnavailable`; a 403 that survives a fresh token is
:class:`SecretAccessDenied`.
"""

from __future__ import annotations

import base64
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import hvac
import requests
from hvac import exceptions as vault_errors

from core.config import Settings
from core.secretstore.base import (
    SecretAccessDenied,
    SecretNotFound,
    SecretStore,
    SecretStoreError,
    SecretStoreUnavailable,
    as_bytes,
    check_names,
)

T = TypeVar("T")

READ, WRITE = "read", "write"
# The token roles each service's token may create team tokens through; the glob of
# allowed policies is what keeps a build credential from ever minting a write token.
TOKEN_ROLES = {READ: "rb-team-read", WRITE: "rb-team-write"}
# The policies of the services' own (parent) tokens, also the AppRoles' names.
SERVICE_POLICIES = {READ: "rb-build", WRITE: "rb-web"}
# A team token lives this long at most, renewals included; then a new one is made.
TEAM_TOKEN_MAX_TTL_S = 3600
# Service tokens (AppRole logins) last an hour; a new login replaces one near expiry.
SERVICE_TOKEN_TTL_S = 3600

_AUTH_ERRORS = (vault_errors.Forbidden, vault_errors.Unauthorized)
# What the server answers while sealed, starting, or without an active node.
_DOWN_ERRORS = (vault_errors.VaultDown, vault_errors.InternalServerError,
                vault_errors.BadGateway, vault_errors.VaultNotInitialized)


def team_policy_name(team: str, access: str) -> str:
    """``team-<team>-read`` / ``team-<team>-write``.

    Vault lowercases policy names while paths (and our team ids) are case-sensitive,
    so an upper-case letter is written as ``_`` + its lower case: team ids never
    contain ``_``, hence no two teams can end up sharing one policy.
    """
    check_names(team)
    if access not in TOKEN_ROLES:
        raise ValueError(f"access must be {READ!r} or {WRITE!r}")
    encoded = "".join(f"_{c.lower()}" if c.isupper() else c for c in team)
    return f"team-{encoded}-{access}"


def team_policy(mount: str, team: str, access: str) -> str:
    """The HCL policy of one team: its own ``teams/<team>/`` subtree and nothing else."""
    check_names(team)
    data = "read" if access == READ else 'create", "update", "delete", "read'
    meta = "read\", \"list" if access == READ else 'read", "list", "delete'
    return (f'path "{mount}/data/teams/{team}/*" {{\n  capabilities = ["{data}"]\n}}\n'
            f'path "{mount}/metadata/teams/{team}/*" {{\n  capabilities = ["{meta}"]\n}}\n')


def service_policy(access: str) -> str:
    """The HCL policy of a service's own token (the build worker's or the web tier's).

    It holds no secret path at all: only creating team tokens through its token
    role, and reading team policies.  The web tier may also write team policies
    (``team-*``), so a team's policies appear on its first secret write; Vault
    cannot restrict what such a policy says, so a deployment that provisions team
    policies itself can leave that right out (the store then assumes they exist).
    """
    text = f'path "auth/token/create/{TOKEN_ROLES[access]}" {{\n  capabilities = ["update"]\n}}\n'
    # Reading team policies tells "this team has no secrets in Vault yet" from a
    # refusal; policies hold paths, no secrets.
    capabilities = '"read"' if access == READ else '"create", "read", "update"'
    return text + f'path "sys/policies/acl/team-*" {{\n  capabilities = [{capabilities}]\n}}\n'


def token_role(access: str) -> dict[str, Any]:
    """Parameters of the token role of ``access`` (``auth/token/roles/<name>``)."""
    return {"allowed_policies_glob": [f"team-*-{access}"], "renewable": True,
            "orphan": False, "token_explicit_max_ttl": TEAM_TOKEN_MAX_TTL_S,
            "token_type": "service"}


# Credentials -------------------------------------------------------------------------


@dataclass(frozen=True)
class AppRoleLogin:
    """An AppRole's role id and secret id; ``repr`` hides the secret id."""

    role_id: str
    secret_id: str
    mount: str = "approle"

    def __repr__(self) -> str:
        return f"AppRoleLogin(role_id=…, mount={self.mount!r})"


@dataclass
class _Lease:
    client: hvac.Client
    expires: float  # time.monotonic() deadline; math.inf for a token that never expires
    ttl: float
    renewable: bool
    parent_expires: float = math.inf  # a child token dies with its parent

    def remaining(self) -> float:
        return self.expires - time.monotonic()


class VaultSecretStore(SecretStore):
    """KV v2 backend with per-team child tokens.

    Args:
        addr: Vault's address, e.g. ``http://127.0.0.1:8200``.
        mount: The KV v2 mount point.
        build_login: The build path's credential (reads): an :class:`AppRoleLogin`
            or a callable returning a token.
        web_login: The API path's credential (writes, deletes).
        team_token_ttl_s: Lifetime of a team token (renewed when a third is left).
        timeout_s: Per-request timeout.
    """

    def __init__(self, addr: str, mount: str, *,
                 build_login: AppRoleLogin | Callable[[], str] | None,
                 web_login: AppRoleLogin | Callable[[], str] | None,
                 team_token_ttl_s: int = 300, timeout_s: float = 10.0) -> None:
        self.addr = addr
        self.mount = mount
        self._logins = {READ: build_login, WRITE: web_login}
        self.team_token_ttl_s = team_token_ttl_s
        self._timeout_s = timeout_s
        self._lock = threading.RLock()
        self._services: dict[str, _Lease] = {}
        self._teams: dict[tuple[str, str], _Lease] = {}
        self._provisioned: set[str] = set()
        # Counters for tests and diagnostics (no tokens).
        self.stats = {"logins": 0, "team_tokens": 0, "renewals": 0}

    @classmethod
    def from_settings(cls, settings: Settings) -> VaultSecretStore:
        def login(role_id: str, secret_id: str) -> AppRoleLogin | Callable[[], str] | None:
            if settings.vault_token:  # an operator-given parent token replaces AppRoles
                return lambda: settings.vault_token
            return AppRoleLogin(role_id, secret_id) if role_id and secret_id else None

        return cls(settings.vault_addr, settings.vault_mount,
                   build_login=login(settings.vault_build_role_id,
                                     settings.vault_build_secret_id),
                   web_login=login(settings.vault_web_role_id, settings.vault_web_secret_id),
                   team_token_ttl_s=settings.vault_token_ttl_s)

    def __repr__(self) -> str:
        return f"VaultSecretStore(addr={self.addr!r}, mount={self.mount!r})"

    # Tokens ------------------------------------------------------------------------

    def _client(self, token: str | None = None) -> hvac.Client:
        return hvac.Client(url=self.addr, token=token, timeout=self._timeout_s)

    def _service(self, access: str) -> _Lease:
        """The service token of ``access``, logging in again when near expiry."""
        lease = self._services.get(access)
        if lease is not None and lease.remaining() > min(60.0, lease.ttl / 3):
            return lease
        login = self._logins[access]
        if login is None:
            path = "build" if access == READ else "web"
            raise SecretStoreError(f"no OpenBao credential for the {path} path: set "
                                   f"RB_VAULT_{path.upper()}_ROLE_ID and _SECRET_ID, "
                                   "or RB_VAULT_TOKEN")
        if isinstance(login, AppRoleLogin):
            client = self._client()
            try:
                reply = client.auth.approle.login(login.role_id, login.secret_id,
                                                  mount_point=login.mount)
            except (vault_errors.InvalidRequest, *_AUTH_ERRORS):
                raise SecretAccessDenied(
                    f"OpenBao at {self.addr} refused the {SERVICE_POLICIES[access]} "
                    "AppRole login") from None
            ttl = float(reply["auth"]["lease_duration"]) or math.inf
        else:
            # An operator-given token: treated as long-lived; a refusal surfaces on use.
            client, ttl = self._client(login()), math.inf
        self.stats["logins"] += 1
        lease = _Lease(client, time.monotonic() + ttl, ttl, renewable=False)
        self._services[access] = lease
        return lease

    def _team_token(self, team: str, access: str) -> _Lease:
        """A token carrying only ``team``'s ``access`` policy: cached, renewed, or new."""
        with self._lock:
            key = (team, access)
            lease = self._teams.get(key)
            # Renew once a third of the lifetime is left: a build or request that
            # just got the token can count on it for a while.
            if lease is not None and (lease.expires == math.inf
                                      or lease.remaining() > lease.ttl / 3):
                return lease
            if lease is not None and lease.renewable and lease.remaining() > 1:
                renewed = self._renew(lease)
                if renewed is not None:
                    return renewed
            self._teams.pop(key, None)
            service = self._service(access)
            if access == WRITE:
                self._provision_team(service, team)
            try:
                reply = self._create_child(service, team, access)
            except _AUTH_ERRORS:
                # The service token was revoked or expired early: log in once more.
                self._services.pop(access, None)
                service = self._service(access)
                try:
                    reply = self._create_child(service, team, access)
                except _AUTH_ERRORS:
                    raise SecretAccessDenied(
                        f"OpenBao refused the {SERVICE_POLICIES[access]} service a {access} "
                        f"token for team {team}") from None
            auth = reply["auth"]
            ttl = float(auth["lease_duration"]) or math.inf
            # A child dies with its parent: never count on it past the service token.
            expires = min(time.monotonic() + ttl, service.expires)
            lease = _Lease(self._client(auth["client_token"]), expires, ttl,
                           renewable=bool(auth.get("renewable")),
                           parent_expires=service.expires)
            self.stats["team_tokens"] += 1
            self._teams[key] = lease
            return lease

    def _create_child(self, service: _Lease, team: str, access: str) -> dict[str, Any]:
        return service.client.auth.token.create(
            policies=[team_policy_name(team, access)], ttl=f"{self.team_token_ttl_s}s",
            role_name=TOKEN_ROLES[access], display_name=f"team-{team}",
            meta={"team": team, "access": access})

    def _renew(self, lease: _Lease) -> _Lease | None:
        """Extend a team token; None when Vault will not (max TTL reached, revoked)."""
        try:
            reply = lease.client.auth.token.renew_self(increment=f"{self.team_token_ttl_s}s")
        except _AUTH_ERRORS + (vault_errors.InvalidRequest,):
            return None
        granted = float(reply["auth"]["lease_duration"])
        expires = min(time.monotonic() + granted, lease.parent_expires)
        # Capped by the role's max TTL or by the parent's end: start afresh.
        if expires - time.monotonic() <= lease.ttl / 3:
            return None
        lease.expires = expires
        self.stats["renewals"] += 1
        return lease

    def _provision_team(self, service: _Lease, team: str) -> None:
        """Write the team's policies on its first write in this process.

        Done by the web tier because teams are created at runtime; a 403 means the
        deployment manages team policies itself (see :func:`service_policy`).
        """
        if team in self._provisioned:
            return
        for access in (READ, WRITE):
            name, text = team_policy_name(team, access), team_policy(self.mount, team, access)
            try:
                current = service.client.sys.read_acl_policy(name)["data"]["policy"]
            except vault_errors.InvalidPath:
                current = None
            except _AUTH_ERRORS:
                return  # not ours to manage (or a stale token): asked again next time
            if current != text:
                service.client.sys.create_or_update_acl_policy(name, text)
        self._provisioned.add(team)

    def _has_policy(self, team: str, access: str) -> bool:
        """Whether the team's policy exists (True when we may not look: refuse then)."""
        try:
            self._service(access).client.sys.read_acl_policy(team_policy_name(team, access))
        except vault_errors.InvalidPath:
            return False
        except _AUTH_ERRORS:
            return True
        return True

    def forget_tokens(self) -> None:
        """Drop every cached token (tests; after the server's restart)."""
        with self._lock:
            self._teams.clear()
            self._services.clear()

    # Calls ---------------------------------------------------------------------------

    def _call(self, scope: str, team: str, access: str, path: str,
              operation: Callable[[Any], T]) -> T:
        """Run ``operation(kv_v2)`` on ``team``'s ``path`` with ``scope``'s team token.

        A 403 may come from a token that expired or was revoked behind our back, so
        it is retried once on a new token; a second 403 is Vault's refusal, except
        on the scope's own path while its policy does not exist yet: that team has
        never stored a secret, which callers see as "not found".
        """
        try:
            for attempt in (1, 2):
                lease = self._team_token(scope, access)
                try:
                    return operation(lease.client.secrets.kv.v2)
                except _AUTH_ERRORS:
                    with self._lock:
                        if self._teams.get((scope, access)) is lease:
                            del self._teams[(scope, access)]
                    if attempt == 2 and team == scope and not self._has_policy(scope, access):
                        raise vault_errors.InvalidPath(f"team {scope} has no policy yet") from None
                    if attempt == 2:
                        raise SecretAccessDenied(
                            f"OpenBao refused {access} access to {self.mount}/{path} for a "
                            f"token scoped to team {scope} (permission denied)") from None
            raise AssertionError("unreachable")
        except vault_errors.InvalidPath:
            raise
        except _DOWN_ERRORS as exc:
            raise SecretStoreUnavailable(
                f"OpenBao at {self.addr}: {_reason(exc)}") from None
        except (requests.ConnectionError, requests.Timeout):
            raise SecretStoreUnavailable(f"OpenBao at {self.addr} is unreachable") from None
        except vault_errors.VaultError as exc:
            raise SecretStoreError(f"OpenBao error: {type(exc).__name__}") from None

    @staticmethod
    def _path(team: str, name: str | None = None) -> str:
        return f"teams/{team}" if name is None else f"teams/{team}/{name}"

    # SecretStore (each call on the named team's own token) -----------------------------

    def for_team(self, team: str) -> SecretStore:
        check_names(team)
        return TeamScopedVault(self, team)

    def put(self, team: str, name: str, value: bytes | str) -> int:
        return self.for_team(team).put(team, name, value)

    def get(self, team: str, name: str, version: int | None = None) -> bytes:
        return self.for_team(team).get(team, name, version)

    def versions(self, team: str, name: str) -> list[int]:
        return self.for_team(team).versions(team, name)

    def delete(self, team: str, name: str) -> None:
        self.for_team(team).delete(team, name)

    def list_names(self, team: str) -> list[str]:
        return self.for_team(team).list_names(team)


class TeamScopedVault(SecretStore):
    """The store as one team's build or request sees it: every call, whatever team
    it names, runs on the scope team's tokens; naming another team gets Vault's 403
    as :class:`SecretAccessDenied`."""

    def __init__(self, store: VaultSecretStore, scope: str) -> None:
        self._store = store
        self.scope = scope

    def __repr__(self) -> str:
        return f"TeamScopedVault(team={self.scope!r}, store={self._store!r})"

    def for_team(self, team: str) -> SecretStore:
        return self if team == self.scope else self._store.for_team(team)

    def _call(self, access: str, path: str, operation: Callable[[Any], T]) -> T:
        team = path.split("/")[1]
        return self._store._call(self.scope, team, access, path, operation)

    def put(self, team: str, name: str, value: bytes | str) -> int:
        check_names(team, name)
        raw = as_bytes(value)
        try:
            document = {"value": raw.decode("utf-8")}
        except UnicodeDecodeError:
            document = {"value_b64": base64.b64encode(raw).decode()}
        path, mount = VaultSecretStore._path(team, name), self._store.mount
        reply = self._call(WRITE, path, lambda kv: kv.create_or_update_secret(
            path=path, secret=document, mount_point=mount))
        return int(reply["data"]["version"])

    def get(self, team: str, name: str, version: int | None = None) -> bytes:
        check_names(team, name)
        path, mount = VaultSecretStore._path(team, name), self._store.mount
        try:
            reply = self._call(READ, path, lambda kv: kv.read_secret_version(
                path=path, version=version, mount_point=mount, raise_on_deleted_version=True))
        except vault_errors.InvalidPath:
            raise SecretNotFound(team, name, version) from None
        document = reply["data"]["data"] or {}
        if "value_b64" in document:
            return base64.b64decode(document["value_b64"])
        if "value" in document:
            return as_bytes(document["value"])
        raise SecretStoreError(f"secret {name} of team {team} has no value field")

    def versions(self, team: str, name: str) -> list[int]:
        check_names(team, name)
        path, mount = VaultSecretStore._path(team, name), self._store.mount
        try:
            reply = self._call(READ, path, lambda kv: kv.read_secret_metadata(
                path=path, mount_point=mount))
        except vault_errors.InvalidPath:
            raise SecretNotFound(team, name) from None
        live = [int(number) for number, meta in reply["data"]["versions"].items()
                if not meta.get("deletion_time") and not meta.get("destroyed")]
        if not live:
            raise SecretNotFound(team, name)
        return sorted(live)

    def delete(self, team: str, name: str) -> None:
        check_names(team, name)
        path, mount = VaultSecretStore._path(team, name), self._store.mount
        try:
            self._call(WRITE, path, lambda kv: kv.delete_metadata_and_all_versions(
                path=path, mount_point=mount))
        except vault_errors.InvalidPath:
            pass

    def list_names(self, team: str) -> list[str]:
        check_names(team)
        path, mount = VaultSecretStore._path(team), self._store.mount
        try:
            reply = self._call(READ, path + "/", lambda kv: kv.list_secrets(
                path=path, mount_point=mount))
        except vault_errors.InvalidPath:
            return []
        return sorted(key for key in reply["data"]["keys"] if not key.endswith("/"))


def _reason(exc: vault_errors.VaultError) -> str:
    if isinstance(exc, vault_errors.VaultDown):
        return "sealed"
    if isinstance(exc, vault_errors.VaultNotInitialized):
        return "not initialised"
    return f"{type(exc).__name__} (no active node)"
