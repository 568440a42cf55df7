"""Scope parsing, the grant rules, and the claims of minted tokens."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.keys import ensure_signing_key
from registry.tokens import (
    ANONYMOUS,
    Principal,
    Scope,
    ScopeError,
    allowed_actions,
    grant,
    mint_token,
    parse_scope,
    parse_scopes,
)

ACME = Principal("acme+robot", team="acme")
SYSTEM = Principal("system", is_system=True)
NOW = dt.datetime(2026, 11, 29, 19, 22, 29, tzinfo=dt.UTC)


def scope(name: str, *actions: str, type_: str = "repository") -> Scope:
    return Scope(type_, name, frozenset(actions))


def test_parse_scope_splits_at_first_and_last_colon():
    assert parse_scope("repository:127.0.0.1:5000/acme/app:push,pull") == scope(
        "127.0.0.1:5000/acme/app", "push", "pull"
    )


def test_parse_scope_drops_the_resource_class():
    assert parse_scope("repository(plugin):acme/app:pull").type == "repository"


@pytest.mark.parametrize("text", ["repository", "repository:acme", ":acme/app:pull", "a::pull"])
def test_parse_scope_refuses_malformed(text):
    with pytest.raises(ScopeError):
        parse_scope(text)


def test_parse_scopes_merges_repeats_and_space_separated_values():
    scopes = parse_scopes(
        ["repository:acme/app:pull repository:acme/app:push", "registry:catalog:*"]
    )
    assert scopes == [scope("acme/app", "pull", "push"), scope("catalog", "*", type_="registry")]


@pytest.mark.parametrize(
    ("principal", "name", "expected"),
    [
        (ACME, "acme/app", {"pull", "push"}),
        (ACME, "acme/app/nested", {"pull", "push"}),
        (ACME, "library/busybox", {"pull"}),
        (ACME, "globex/app", set()),
        (ACME, "acme", set()),  # the bare team name is not inside the namespace
        (ACME, "acmecorp/app", set()),  # a prefix of another team's name
        (ANONYMOUS, "library/busybox", set()),
        (ANONYMOUS, "acme/app", set()),
        (SYSTEM, "globex/app", {"pull", "push", "delete"}),
    ],
)
def test_allowed_actions(principal, name, expected):
    requested = scope(name, "pull", "push", "delete")
    assert grant(principal, [requested])[0]["actions"] == sorted(expected)


def test_catalog_is_for_the_system_only():
    catalog = scope("catalog", "*", type_="registry")
    assert allowed_actions(ACME, catalog) == frozenset()
    assert allowed_actions(SYSTEM, catalog) == {"*"}


team_names = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(lambda t: t != "library")


@settings(max_examples=60, deadline=None)
@given(team=team_names, other=team_names, repo=st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True))
def test_a_team_never_gets_actions_outside_its_namespace_or_library(team, other, repo):
    principal = Principal(f"{team}+robot", team=team)
    name = f"{other}/{repo}"
    actions = grant(principal, [scope(name, "pull", "push", "delete", "*")])[0]["actions"]
    if other == team:
        assert actions == ["pull", "push"]
    else:
        assert actions == []


def test_minted_token_claims_follow_distribution(tmp_path):
    key = ensure_signing_key(tmp_path)
    access = grant(ACME, [scope("acme/app", "pull")])
    minted = mint_token(
        key, issuer="iss", service="svc", subject="acme+robot", access=access, ttl_s=300, now=NOW
    )
    header = jwt.get_unverified_header(minted.token)
    assert header["alg"] == "ES256" and header["kid"] == key.kid
    claims = jwt.decode(
        minted.token,
        key.private_key.public_key(),
        algorithms=["ES256"],
        audience="svc",
        options={"verify_exp": False, "verify_nbf": False},  # NOW is a fixed past instant
    )
    assert claims["aud"] == "svc"  # a string: an array is refused by the registry
    assert claims["iss"] == "iss" and claims["sub"] == "acme+robot"
    assert claims["exp"] - claims["iat"] == minted.expires_in == 300
    assert all(isinstance(claims[k], int) for k in ("exp", "nbf", "iat"))
    assert claims["access"] == [{"type": "repository", "name": "acme/app", "actions": ["pull"]}]
    assert minted.issued_at == "2026-11-29T19:22:29Z"


def test_short_lifetimes_are_raised_to_sixty_seconds(tmp_path):
    key = ensure_signing_key(tmp_path)
    minted = mint_token(key, issuer="i", service="s", subject="", access=[], ttl_s=5, now=NOW)
    assert minted.expires_in == 60
