"""Team robot credentials and the system credential."""

from __future__ import annotations

import stat

import pytest

from registry.credentials import (
    ChainedAuthenticator,
    CredentialExists,
    RobotCredentials,
    SystemCredential,
)
from registry.naming import InvalidName


@pytest.fixture
def store(tmp_path):
    return RobotCredentials(tmp_path / "creds.sqlite")


def test_created_secret_verifies_as_the_team(store):
    username, secret = store.create("acme")
    assert username == "acme+robot"
    principal = store.verify(username, secret)
    assert principal.team == "acme" and principal.subject == username
    assert not principal.is_system


def test_wrong_secret_or_other_team_fails(store):
    username, secret = store.create("acme")
    _, other_secret = store.create("globex")
    assert store.verify(username, secret + "x") is None
    assert store.verify(username, other_secret) is None
    assert store.verify("globex+robot", secret) is None
    assert store.verify("acme", secret) is None


def test_secret_is_shown_once_and_stored_hashed(store):
    _, secret = store.create("acme")
    assert secret.encode() not in store.path.read_bytes()
    with pytest.raises(CredentialExists):
        store.create("acme")


def test_rotation_invalidates_the_old_secret(store):
    username, old = store.create("acme")
    _, new = store.rotate("acme")
    assert store.verify(username, old) is None
    assert store.verify(username, new).team == "acme"


def test_reserved_or_invalid_team_has_no_credential(store):
    for team in ("library", "Acme", "a/b"):
        with pytest.raises(InvalidName):
            store.create(team)


def test_system_credential_is_persistent_and_private(tmp_path):
    path = tmp_path / "system-secret"
    first = SystemCredential(path, "system")
    assert SystemCredential(path, "system").secret == first.secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.verify("system", first.secret).is_system
    assert first.verify("system", "nope") is None
    assert first.verify("other", first.secret) is None


def test_chain_tries_each_authenticator(tmp_path, store):
    system = SystemCredential(tmp_path / "s", "system")
    username, secret = store.create("acme")
    chain = ChainedAuthenticator(system, store)
    assert chain.verify("system", system.secret).is_system
    assert chain.verify(username, secret).team == "acme"
    assert chain.verify(username, system.secret) is None
