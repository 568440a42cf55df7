"""Solve-time secrets: exact versions, derived templates, masks, refusals."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core.secretstore.local import LocalSecretStore
from pipeline.secrets import SecretUnavailable, fetch, redact, used_names


@pytest.fixture
def store(tmp_path):
    return LocalSecretStore(tmp_path / "secrets", Fernet.generate_key())


def test_fetch_reads_the_pinned_version_not_the_newest(store):
    store.put("team-1", "TOKEN", "old-value")
    store.put("team-1", "TOKEN", "new-value")

    served = fetch(store, "team-1", ["team.TOKEN"], {}, {"TOKEN": "1"})

    assert served.lookup("team.TOKEN") == b"old-value"
    assert served.lookup("team.OTHER") is None
    assert "old-value" not in repr(served)


def test_fetch_reads_the_version_of_a_label(store):
    store.put("team-1", "TOKEN", "one")
    store.put("team-1", "TOKEN", "two")

    served = fetch(store, "team-1", ["team.TOKEN"], {}, {"TOKEN": "2.1712345678901234"})

    assert served.lookup("team.TOKEN") == b"two"


def test_derived_secrets_are_composed_from_their_references(store):
    store.put("team-1", "USER", "alice")
    store.put("team-1", "PASS", "s3cret")
    derived = {"derived.0": "https://{{secret:team.USER}}:{{ secret:team.PASS }}@host"}

    assert used_names(["derived.0"], derived) == {"team.USER", "team.PASS"}
    served = fetch(store, "team-1", ["derived.0"], derived, {"USER": "1", "PASS": "1"})

    assert served.lookup("derived.0") == b"https://alice:s3cret@host"
    assert redact(b"url https://alice:s3cret@host", served.redactions()) == b"url ***"


def test_platform_secrets_get_no_value_and_user_secrets_are_refused(store):
    served = fetch(store, "team-1", ["devzero.GITHUB_ACCESS_TOKEN"], {}, {})
    assert served.lookup("devzero.GITHUB_ACCESS_TOKEN") is None
    with pytest.raises(SecretUnavailable, match="user.DB"):
        fetch(store, "team-1", ["user.DB"], {}, {})
    with pytest.raises(SecretUnavailable, match="no version"):
        fetch(store, "team-1", ["team.MISSING"], {}, {})


def test_secrets_are_isolated_per_team(store):
    store.put("team-1", "TOKEN", "one")
    from core.secretstore import SecretNotFound

    with pytest.raises(SecretNotFound):
        fetch(store, "team-2", ["team.TOKEN"], {}, {"TOKEN": "1"})
