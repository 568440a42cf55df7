"""Scopes, the access each principal may get, and the signed JWT the registry accepts.

Pure functions: the clock is passed in, nothing is read from the environment.  The
rules (registry-token-auth.md §3-4): grant the intersection of what was asked and what
is allowed, merge repeated scopes, always issue a token (empty ``actions`` where nothing
is allowed), ``aud`` is a string, times are integers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import jwt

from registry.keys import SigningKey

LIBRARY = "library"
MIN_TTL_S = 60  # Docker raises lower ``expires_in`` values to 60 anyway.


class ScopeError(ValueError):
    """A scope string that does not follow ``type[(class)]:name:actions``."""


@dataclass(frozen=True)
class Scope:
    """One requested resource scope, e.g. ``repository:team/app:pull,push``."""

    type: str
    name: str
    actions: frozenset[str]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(sorted(self.actions))}"


@dataclass(frozen=True)
class Principal:
    """Who a token is for.

    Attributes:
        subject: the user name written to the token's ``sub`` ("" for anonymous).
        team: the team whose namespace the principal owns, if any.
        is_system: the seeding/administration credential, allowed everything.
    """

    subject: str
    team: str | None = None
    is_system: bool = False

    @property
    def is_anonymous(self) -> bool:
        """True when no credentials were presented."""
        return not self.subject


ANONYMOUS = Principal(subject="")


@dataclass(frozen=True)
class IssuedToken:
    """A minted token and the response fields that describe it."""

    token: str
    expires_in: int
    issued_at: str  # RFC 3339; an integer breaks Docker's decoder


def parse_scope(text: str) -> Scope:
    """Parse one scope; the name may hold one ``:`` (a ``host:port``).

    Args:
        text: ``type[(class)]:name:action[,action…]``.

    Returns:
        The scope with its class dropped (the registry wants the bare type).

    Raises:
        ScopeError: fewer than three parts or an empty type or name.
    """
    first, last = text.find(":"), text.rfind(":")
    if first < 0 or first == last:
        raise ScopeError(f"malformed scope {text!r}")
    type_, name, actions = text[:first], text[first + 1 : last], text[last + 1 :]
    type_ = type_.split("(", 1)[0]
    if not type_ or not name:
        raise ScopeError(f"malformed scope {text!r}")
    return Scope(type_, name, frozenset(a for a in actions.split(",") if a))


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """Parse and merge repeated ``scope`` values.

    Parse repeated ``scope`` values (each may hold several, space separated) and merge
    scopes on the same resource, keeping first-seen order.
    """
    merged: dict[tuple[str, str], set[str]] = {}
    for value in values:
        for part in value.split():
            scope = parse_scope(part)
            merged.setdefault((scope.type, scope.name), set()).update(scope.actions)
    return [Scope(t, n, frozenset(a)) for (t, n), a in merged.items()]


def allowed_actions(principal: Principal, scope: Scope) -> frozenset[str]:
    """The actions ``principal`` may hold on ``scope``'s resource.

    The system credential gets everything it asks for; a team gets ``pull`` and ``push``
    on ``<team>/…``; every authenticated principal gets ``pull`` on ``library/…``;
    anonymous gets nothing.
    """
    if principal.is_system:
        return scope.actions
    if principal.is_anonymous or scope.type != "repository":
        return frozenset()
    if principal.team and scope.name.startswith(principal.team + "/"):
        return frozenset({"pull", "push"})
    if scope.name.startswith(LIBRARY + "/"):
        return frozenset({"pull"})
    return frozenset()


def grant(principal: Principal, scopes: Iterable[Scope]) -> list[dict]:
    """The ``access`` claim: each requested scope with the allowed subset of its actions."""
    claim = []
    for scope in scopes:
        actions = scope.actions & allowed_actions(principal, scope)
        claim.append({"type": scope.type, "name": scope.name, "actions": sorted(actions)})
    return claim


def mint_token(
    key: SigningKey,
    *,
    issuer: str,
    service: str,
    subject: str,
    access: list[dict],
    ttl_s: int,
    now: dt.datetime,
) -> IssuedToken:
    """Sign a registry token.

    Args:
        key: the signing key; its ``kid`` goes in the header.
        issuer: must equal the registry's ``auth.token.issuer``.
        service: must equal the registry's ``auth.token.service`` (``aud``).
        subject: the user name (``sub``).
        access: the claim from :func:`grant`.
        ttl_s: lifetime; raised to 60 s, the minimum Docker honours.
        now: issue time (timezone-aware).

    Returns:
        The token with ``expires_in`` equal to ``exp - iat``.
    """
    ttl_s = max(ttl_s, MIN_TTL_S)
    iat = int(now.timestamp())
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": service,
        "exp": iat + ttl_s,
        "nbf": iat,
        "iat": iat,
        "jti": uuid.uuid4().hex,
        "access": access,
    }
    token = jwt.encode(
        claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid, "typ": "JWT"}
    )
    issued_at = dt.datetime.fromtimestamp(iat, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return IssuedToken(token=token, expires_in=ttl_s, issued_at=issued_at)
