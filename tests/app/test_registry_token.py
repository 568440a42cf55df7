"""The ``/v2/token`` endpoint (app/registry_token.py), through Flask's test client."""

from __future__ import annotations

import base64
import datetime as dt
import logging

import jwt
import pytest
from flask import Flask

from app import registry_token
from core.config import Settings
from pipeline.registry_settings import registry_settings
from registry.credentials import default_authenticator, robot_store, system_credential
from registry.keys import ensure_signing_key
from registry.settings import RegistrySettings


@pytest.fixture
def env(settings: Settings, tmp_path):
    conf = registry_settings(settings.with_overrides(state_dir=tmp_path))
    state = conf.state_dir
    app = Flask("t")
    registry_token.init_app(app, conf, default_authenticator(state, conf.system_user))
    acme = robot_store(state).create("acme")
    system = system_credential(state, conf.system_user)
    return conf, app.test_client(), acme, (system.username, system.secret)


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def claims(conf: RegistrySettings, token: str) -> dict:
    key = ensure_signing_key(conf.state_dir)
    return jwt.decode(
        token,
        key.private_key.public_key(),
        algorithms=["ES256"],
        audience=conf.service,
        issuer=conf.issuer,
    )


def get(client, conf, creds=None, **params):
    query = {"service": conf.service, **params}
    return client.get("/v2/token", query_string=query, headers=basic(*creds) if creds else {})


def test_team_gets_its_namespace_and_library_pull_only(env):
    conf, client, acme, _ = env
    scopes = [
        "repository:acme/app:push,pull",
        "repository:globex/app:pull",
        "repository:library/busybox:push,pull",
    ]
    response = get(client, conf, acme, scope=scopes, account=acme[0])
    assert response.status_code == 200
    body = response.get_json()
    assert body["token"] == body["access_token"]
    assert body["expires_in"] == conf.token_ttl_s
    dt.datetime.strptime(body["issued_at"], "%Y-%m-%dT%H:%M:%SZ")  # RFC 3339, not an int
    access = {a["name"]: a["actions"] for a in claims(conf, body["token"])["access"]}
    assert access == {"acme/app": ["pull", "push"], "globex/app": [], "library/busybox": ["pull"]}
    assert "refresh_token" not in body


def test_docker_login_request_without_scope_gets_a_token(env):
    conf, client, acme, _ = env
    response = get(client, conf, acme, account=acme[0], client_id="docker", offline_token="true")
    assert response.status_code == 200
    assert claims(conf, response.get_json()["token"])["access"] == []


def test_wrong_password_is_401_with_details(env):
    conf, client, acme, _ = env
    response = get(client, conf, (acme[0], "wrong"), scope="repository:acme/app:pull")
    assert response.status_code == 401
    assert "details" in response.get_json()


def test_account_must_match_the_credentials(env):
    conf, client, acme, _ = env
    response = get(client, conf, acme, account="globex+robot")
    assert response.status_code == 401


def test_unknown_service_is_refused(env):
    conf, client, acme, _ = env
    response = client.get("/v2/token", query_string={"service": "other"}, headers=basic(*acme))
    assert response.status_code == 400


def test_anonymous_gets_a_token_with_no_actions(env):
    conf, client, _, _ = env
    response = get(client, conf, scope="repository:library/busybox:pull")
    assert response.status_code == 200
    token_claims = claims(conf, response.get_json()["token"])
    assert token_claims["sub"] == ""
    assert token_claims["access"][0]["actions"] == []


def test_system_gets_everything_including_catalog(env):
    conf, client, _, system = env
    response = get(client, conf, system, scope=["registry:catalog:*", "repository:acme/x:delete"])
    access = claims(conf, response.get_json()["token"])["access"]
    assert [a["actions"] for a in access] == [["*"], ["delete"]]


def test_containerd_password_grant_post(env):
    conf, client, acme, _ = env
    form = {
        "grant_type": "password",
        "username": acme[0],
        "password": acme[1],
        "service": conf.service,
        "scope": "repository:acme/app:pull,push repository:globex/app:pull",
        "client_id": "containerd-client",
    }
    response = client.post("/v2/token", data=form)
    assert response.status_code == 200
    body = response.get_json()
    access = {a["name"]: a["actions"] for a in claims(conf, body["access_token"])["access"]}
    assert access == {"acme/app": ["pull", "push"], "globex/app": []}
    assert body["scope"] == "repository:acme/app:pull,push repository:globex/app:pull"
    assert client.post("/v2/token", data={**form, "password": "x"}).status_code == 401


def test_refresh_grant_is_refused_so_clients_fall_back(env):
    conf, client, _, _ = env
    form = {"grant_type": "refresh_token", "refresh_token": "x", "service": conf.service}
    assert client.post("/v2/token", data=form).status_code == 400


def test_malformed_scope_is_400(env):
    conf, client, acme, _ = env
    assert get(client, conf, acme, scope="repository:acme").status_code == 400


def test_tokens_and_secrets_are_never_logged(env, caplog):
    conf, client, acme, _ = env
    caplog.set_level(logging.DEBUG)
    token = get(client, conf, acme, scope="repository:acme/app:pull").get_json()["token"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "acme/app:pull" in logged  # the grant is logged …
    assert token not in logged and acme[1] not in logged  # … the token and secret are not
