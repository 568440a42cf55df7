"""Secret writes through the API on OpenBao: 503 "secret store unavailable" while the
server is sealed or down, with nothing recorded, and Vault's per-team tokens after."""

from __future__ import annotations

import pytest

from core.secretstore.vault import READ, VaultSecretStore, team_policy_name
from stack import vault_server
from tests.app.apikit import dispose, isolated_settings, make_app, make_team
from tests.vaultkit import private_openbao

VALUE = "api-canary-4b1d-never-returned"


@pytest.fixture
def vault_app(tmp_path, settings, redis_url):
    """The app on its own PostgreSQL schema and a private OpenBao (sealed and stopped
    here, which the stack's server must never be while other tests run)."""
    with private_openbao(settings, tmp_path / "openbao") as layout, \
            isolated_settings(settings, tmp_path) as configured:
        application = make_app(configured.with_overrides(vault_addr=layout.settings.vault_addr))
        yield application, layout
        dispose(application)


def _versions(client, team) -> list:
    listing = client.get("/api/v1/team/secrets", headers=team.headers()).get_json()
    return [(s["name"], s["version"]) for s in listing["secrets"]]


def test_secret_writes_answer_503_while_openbao_is_sealed_or_down(vault_app):
    application, layout = vault_app
    client = application.test_client()
    team = make_team(application, "vaulted")
    h = team.headers()
    assert client.put("/api/v1/team/secrets/TOKEN", json={"value": VALUE},
                      headers=h).status_code == 201

    vault_server.seal(layout)
    try:
        for resp in (client.put("/api/v1/team/secrets/TOKEN", json={"value": VALUE + "2"},
                                headers=h),
                     client.put("/api/v1/team/secrets/NEW", json={"value": VALUE}, headers=h),
                     client.delete("/api/v1/team/secrets/TOKEN", headers=h)):
            assert resp.status_code == 503
            error = resp.get_json()["error"]
            assert error["code"] == "unavailable"
            assert error["message"] == "secret store unavailable"
            assert "sealed" in error["details"]["reason"] and VALUE not in resp.get_data(True)
        assert _versions(client, team) == [("TOKEN", 1)]  # nothing half-written
    finally:
        vault_server.unseal(layout)

    assert vault_server.down(layout)
    try:
        resp = client.put("/api/v1/team/secrets/TOKEN", json={"value": VALUE + "2"}, headers=h)
        assert resp.status_code == 503
        assert resp.get_json()["error"]["message"] == "secret store unavailable"
    finally:
        vault_server.up(layout)

    resp = client.put("/api/v1/team/secrets/TOKEN", json={"value": VALUE + "2"}, headers=h)
    assert resp.status_code == 200 and _versions(client, team) == [("TOKEN", 2)]
    store = application.extensions["rb.services"].secrets
    assert isinstance(store, VaultSecretStore)
    assert store.get(team.id, "TOKEN") == (VALUE + "2").encode()
    info = store._team_token(team.id, READ).client.auth.token.lookup_self()["data"]
    assert sorted(info["policies"]) == ["default", team_policy_name(team.id, READ)]
