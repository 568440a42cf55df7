"""Team isolation on the real registry: every answer asserted is the registry's own.

Team ``acme`` owns ``acme/private`` (an image tag and the ``:cache`` tag); team ``globex``
and an anonymous client try every operation on it.
"""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
import requests

from registry.auth import Credentials, parse_challenge
from registry.errors import Denied
from registry.keys import ensure_signing_key
from registry.manifests import DOCKER_MANIFEST
from registry.tokens import mint_token
from registry.transport import RetryPolicy
from tests.registry.conftest import make_image, push_image

ACME_IMAGE = make_image({"acme-secret-sauce": b"only acme may read this"})
CACHE_IMAGE = make_image({"cache": b"acme build cache"})
GLOBEX_IMAGE = make_image({"globex": b"globex content"})


@pytest.fixture(scope="module")
def world(token_registry):
    acme = token_registry.client(token_registry.team("acme"))
    globex = token_registry.client(token_registry.team("globex"))
    anonymous = token_registry.client(None)
    globex_worker = token_registry.client(Credentials(*token_registry.worker().for_team("globex")))
    push_image(acme, "acme/private", "1", ACME_IMAGE)
    push_image(acme, "acme/private", "cache", CACHE_IMAGE)
    push_image(globex, "globex/app", "1", GLOBEX_IMAGE)
    with token_registry.client(token_registry.system()) as system:
        push_image(system, "library/base", "latest", make_image({"base": b"shared"}))
    yield acme, globex, anonymous, globex_worker
    for client in (acme, globex, anonymous, globex_worker):
        client.close()


OPERATIONS = {
    "pull manifest": lambda c: c.get_manifest("acme/private", "1"),
    "pull cache manifest": lambda c: c.get_manifest("acme/private", "cache"),
    "head manifest": lambda c: c.manifest_descriptor("acme/private", ACME_IMAGE.digest),
    "pull blob": lambda c: c.get_blob("acme/private", ACME_IMAGE.layer_digest),
    "check blob": lambda c: c.blob_exists("acme/private", ACME_IMAGE.layer_digest),
    "list tags": lambda c: c.list_tags("acme/private"),
    "push blob": lambda c: c.upload_blob("acme/private", b"intruder"),
    "push chunked blob": lambda c: c.upload_blob("acme/private", b"intruder" * 99, chunk_size=100),
    "overwrite tag": lambda c: c.put_manifest(
        "acme/private", "1", GLOBEX_IMAGE.manifest, DOCKER_MANIFEST
    ),
    "poison cache": lambda c: c.put_manifest(
        "acme/private", "cache", GLOBEX_IMAGE.manifest, DOCKER_MANIFEST
    ),
    "mount out of acme": lambda c: c.mount_blob(
        "globex/app", ACME_IMAGE.layer_digest, "acme/private"
    ),
    "mount into acme": lambda c: c.mount_blob(
        "acme/private", GLOBEX_IMAGE.layer_digest, "globex/app"
    ),
    "delete manifest": lambda c: c.delete_manifest("acme/private", ACME_IMAGE.digest),
    "delete cache": lambda c: c.delete_manifest("acme/private", CACHE_IMAGE.digest),
    "delete blob": lambda c: c.delete_blob("acme/private", ACME_IMAGE.layer_digest),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("who", ["globex", "globex build worker", "anonymous"])
def test_other_team_and_anonymous_are_denied(world, who, operation):
    acme, globex, anonymous, globex_worker = world
    client = {"globex": globex, "globex build worker": globex_worker, "anonymous": anonymous}[who]
    with pytest.raises(Denied) as denied:
        OPERATIONS[operation](client)
    assert denied.value.status == 401  # the registry's insufficient_scope challenge
    # … and acme's repository is exactly as acme left it.
    assert sorted(acme.list_tags("acme/private")) == ["1", "cache"]
    assert acme.get_manifest("acme/private", "1").digest == ACME_IMAGE.digest
    assert acme.get_manifest("acme/private", "cache").digest == CACHE_IMAGE.digest


def test_mount_out_of_acme_left_nothing_in_globex(world):
    acme, globex, _, _ = world
    assert not globex.blob_exists("globex/app", ACME_IMAGE.layer_digest)


def test_the_owner_can_do_what_the_others_cannot(world):
    acme, _, _, _ = world
    assert acme.get_blob("acme/private", ACME_IMAGE.layer_digest) == ACME_IMAGE.layer
    assert acme.mount_blob("acme/copy", ACME_IMAGE.layer_digest, "acme/private")


def test_teams_pull_library_but_cannot_push_it(world):
    acme, globex, anonymous, _ = world
    assert globex.get_manifest("library/base", "latest").blobs()
    with pytest.raises(Denied):
        globex.upload_blob("library/base", b"trojan")
    with pytest.raises(Denied):
        anonymous.get_manifest("library/base", "latest")


def token_for(registry, credentials, scope: str) -> str:
    response = requests.get(
        registry.settings.registry_realm,
        params={"service": registry.settings.registry_service, "scope": scope},
        auth=(credentials.username, credentials.password),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["token"]


def registry_answer(registry, token: str, path: str = "/v2/acme/private/manifests/1"):
    response = requests.get(
        registry.url + path,
        headers={"Authorization": f"Bearer {token}", "Accept": DOCKER_MANIFEST},
        timeout=10,
    )
    challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
    return response.status_code, challenge, response


def test_acme_asking_for_globex_scope_gets_no_actions(token_registry, world):
    token = token_for(
        token_registry, token_registry.team("acme"), "repository:globex/app:pull,push"
    )
    key = ensure_signing_key(token_registry.state)
    claims = jwt.decode(
        token,
        key.private_key.public_key(),
        algorithms=["ES256"],
        audience=token_registry.settings.registry_service,
    )
    assert claims["access"] == [{"type": "repository", "name": "globex/app", "actions": []}]
    status, challenge, response = registry_answer(
        token_registry, token, "/v2/globex/app/manifests/1"
    )
    assert status == 401 and challenge["error"] == "insufficient_scope"
    assert challenge["scope"] == "repository:globex/app:pull"
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_no_token_is_a_plain_challenge(token_registry, world):
    response = requests.get(token_registry.url + "/v2/acme/private/tags/list", timeout=10)
    challenge = parse_challenge(response.headers["WWW-Authenticate"])
    assert response.status_code == 401 and "error" not in challenge
    assert challenge["realm"] == token_registry.settings.registry_realm
    basic = requests.get(
        token_registry.url + "/v2/acme/private/tags/list", auth=("acme+robot", "x"), timeout=10
    )
    assert basic.status_code == 401  # Basic credentials sent to the registry are ignored


ACCESS = [{"type": "repository", "name": "acme/private", "actions": ["pull"]}]


def forged(registry, tmp_path, case: str) -> str:
    settings = registry.settings
    key = ensure_signing_key(registry.state)
    issuer, service, now = settings.registry_issuer, settings.registry_service, None
    if case == "other key":
        key = ensure_signing_key(tmp_path / "attacker")
    elif case == "other key claiming our kid":
        attacker = ensure_signing_key(tmp_path / "attacker")
        key = type(key)(attacker.private_key, key.kid, key.algorithm, attacker.bundle_path)
    elif case == "expired":
        now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    elif case == "wrong audience":
        service = "someone-elses-registry"
    elif case == "wrong issuer":
        issuer = "not-us"
    now = now or dt.datetime.now(dt.UTC)
    return mint_token(
        key, issuer=issuer, service=service, subject="acme+robot", access=ACCESS, ttl_s=300, now=now
    ).token


def test_a_well_formed_token_is_accepted(token_registry, world, tmp_path):
    status, _, _ = registry_answer(token_registry, forged(token_registry, tmp_path, "genuine"))
    assert status == 200  # the control for the cases below


@pytest.mark.parametrize(
    "case", ["other key", "other key claiming our kid", "expired", "wrong audience", "wrong issuer"]
)
def test_bad_tokens_are_refused_by_the_registry(token_registry, world, tmp_path, case):
    status, challenge, response = registry_answer(
        token_registry, forged(token_registry, tmp_path, case)
    )
    assert status == 401
    assert challenge["error"] == "invalid_token"
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_denials_are_not_retried(token_registry, world):
    patient = token_registry.client(token_registry.team("globex"), RetryPolicy(attempts=5))
    sent = []
    patient.transport.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.url))
    with pytest.raises(Denied):
        patient.list_tags("acme/private")
    # One try and one after refreshing the token; no backoff loop over five attempts.
    assert len([u for u in sent if "/v2/acme/private/tags/list" in u]) == 2


def test_a_build_worker_acts_for_its_own_team_only(token_registry, world):
    """The worker credential of acme pushes and pulls acme's repos, pulls library/, and a
    secret derived for one team is refused under another team's name."""
    worker = token_registry.worker()
    username, secret = worker.for_team("acme")
    with token_registry.client(Credentials(username, secret)) as acme_worker:
        push_image(acme_worker, "acme/built", "1", ACME_IMAGE)
        assert acme_worker.get_manifest("acme/built", "1").digest == ACME_IMAGE.digest
        assert acme_worker.get_manifest("library/base", "latest").blobs()
    assert worker.verify(username, secret).team == "acme"
    assert worker.verify("globex+builder", secret) is None
    assert worker.verify("library+builder", worker.for_team("acme")[1]) is None
