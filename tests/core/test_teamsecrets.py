"""Secret records and the store stay in step; the database never holds a value."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from core.db import Team, make_session_factory
from core.secretstore import SecretNotFound
from core.secretstore.local import LocalSecretStore
from core.teamsecrets import (
    current_versions,
    delete_secret,
    list_secrets,
    set_secret,
    store_version,
    version_labels,
)
from pipeline.inputs import team_names

CANARY = "canary-secret-7d1e0a"


@pytest.fixture
def team_session(engine: Engine):
    Session = make_session_factory(engine)
    with Session() as session:
        team = Team(slug="acme", name="Acme")
        session.add(team)
        session.commit()
        yield session, team.id


def test_rotation_records_versions_in_both_places(team_session, tmp_path: Path) -> None:
    session, team_id = team_session
    store = LocalSecretStore(tmp_path, Fernet.generate_key())
    assert set_secret(session, store, team_id, "NPM_KEY", "v1") == 1
    assert set_secret(session, store, team_id, "NPM_KEY", "v2") == 2
    set_secret(session, store, team_id, "OTHER", "o")
    session.commit()
    [npm, other] = list_secrets(session, team_id)
    assert (npm.name, npm.current_version, [v.version for v in npm.versions]) == (
        "NPM_KEY", 2, [1, 2])
    assert current_versions(session, team_id) == {"NPM_KEY": 2, "OTHER": 1}
    assert current_versions(session, team_id, ["NPM_KEY", "ABSENT"]) == {"NPM_KEY": 2}
    assert store.versions(team_id, "NPM_KEY") == [1, 2]


def test_delete_clears_record_and_store(team_session, tmp_path: Path) -> None:
    session, team_id = team_session
    store = LocalSecretStore(tmp_path, Fernet.generate_key())
    set_secret(session, store, team_id, "GONE", "x")
    assert delete_secret(session, store, team_id, "GONE")
    assert not delete_secret(session, store, team_id, "GONE")
    session.commit()
    assert list_secrets(session, team_id) == []
    with pytest.raises(SecretNotFound):
        store.get(team_id, "GONE")


def test_no_value_reaches_the_database(team_session, engine: Engine, tmp_path: Path) -> None:
    session, team_id = team_session
    set_secret(session, LocalSecretStore(tmp_path, Fernet.generate_key()), team_id, "K", CANARY)
    session.commit()
    with engine.connect() as conn:
        for table in ("secret_names", "secret_versions"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            assert rows and CANARY not in repr(rows)


def test_a_recreated_secret_gets_a_new_label(team_session, tmp_path: Path) -> None:
    # The store counts from 1 again after a delete; the label must not repeat, or a
    # step would come back from cache with what it made from the old value.
    session, team_id = team_session
    store = LocalSecretStore(tmp_path, Fernet.generate_key())
    set_secret(session, store, team_id, "NPM", "old value")
    session.commit()
    first = version_labels(session, team_id)["NPM"]
    assert delete_secret(session, store, team_id, "NPM")
    assert set_secret(session, store, team_id, "NPM", "new value") == 1
    session.commit()
    again = version_labels(session, team_id)["NPM"]
    assert again != first
    assert store_version(first) == store_version(again) == 1
    assert store.get(team_id, "NPM", store_version(again)) == b"new value"
    assert "new value" not in again and "old value" not in again


def test_the_label_changes_on_rotation_only(team_session, tmp_path: Path) -> None:
    session, team_id = team_session
    store = LocalSecretStore(tmp_path, Fernet.generate_key())
    set_secret(session, store, team_id, "NPM", "a")
    set_secret(session, store, team_id, "OTHER", "o")
    session.commit()
    before = version_labels(session, team_id)
    assert version_labels(session, team_id) == before  # stable between compiles
    set_secret(session, store, team_id, "NPM", "b")
    session.commit()
    after = version_labels(session, team_id)
    assert after["OTHER"] == before["OTHER"]
    assert after["NPM"] != before["NPM"]
    assert after["NPM"].partition(".")[2] == before["NPM"].partition(".")[2]  # same incarnation
    assert store_version(after["NPM"]) == 2
    assert dict(team_names(session, team_id).secrets) == after
