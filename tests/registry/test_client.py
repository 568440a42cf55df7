"""The distribution client against the real token-auth registry, as team ``acme``."""

from __future__ import annotations

import pytest

from registry.errors import Denied, InvalidRequest, NotFound
from registry.manifests import OCI_INDEX, canonical_json, sha256_digest
from tests.registry.conftest import make_image, push_image


@pytest.fixture(scope="module")
def acme(token_registry):
    with token_registry.client(token_registry.team("acme")) as client:
        yield client


def count_token_requests(client, realm: str) -> list[str]:
    seen: list[str] = []

    def hook(response, *args, **kwargs):
        if response.url.startswith(realm):
            seen.append(response.url)

    client.transport.session.hooks["response"].append(hook)
    return seen


def test_team_pushes_and_pulls_its_own_image(acme, token_registry):
    image = make_image({"hello": b"hello from acme"})
    digest = push_image(acme, "acme/app", "1.0-20260101T000000Z", image)
    assert digest == image.digest

    fetched = acme.get_manifest("acme/app", "1.0-20260101T000000Z")
    assert fetched.body == image.manifest and fetched.digest == digest
    assert [acme.get_blob("acme/app", b) for b in fetched.blobs()] == [image.config, image.layer]
    assert acme.resolve(f"{acme.host}/acme/app:1.0-20260101T000000Z") == digest
    assert "1.0-20260101T000000Z" in acme.list_tags("acme/app")


def test_chunked_upload_round_trips(acme):
    data = bytes(range(256)) * 1200  # 300 KiB in five PATCHes
    descriptor = acme.upload_blob("acme/chunks", data, chunk_size=64 * 1024)
    assert descriptor.digest == sha256_digest(data) and descriptor.size == len(data)
    assert acme.get_blob("acme/chunks", descriptor.digest) == data


def test_index_is_stored_and_resolved(acme):
    image = make_image({"a": b"index child"})
    child = push_image(acme, "acme/multi", "amd64", image)
    index = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "digest": child,
                    "size": len(image.manifest),
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
            ],
        }
    )
    digest = acme.put_manifest("acme/multi", "latest", index, OCI_INDEX)
    fetched = acme.get_manifest("acme/multi", "latest")
    assert fetched.is_index and fetched.media_type == OCI_INDEX and fetched.digest == digest
    assert acme.manifest_descriptor("acme/multi", "latest").media_type == OCI_INDEX


def test_cross_repo_mount_inside_the_team(acme):
    image = make_image({"m": b"mount me"})
    push_image(acme, "acme/source", "1", image)
    assert acme.mount_blob("acme/target", image.layer_digest, "acme/source")
    assert acme.blob_exists("acme/target", image.layer_digest)


def test_mount_of_an_unknown_blob_is_reported_not_mounted(acme):
    assert not acme.mount_blob("acme/target", sha256_digest(b"never pushed"), "acme/source")


def test_missing_things_are_typed_not_found(acme):
    push_image(acme, "acme/app", "exists", make_image({"x": b"x"}))
    with pytest.raises(NotFound) as unknown_tag:
        acme.get_manifest("acme/app", "nope")
    assert unknown_tag.value.codes == ("MANIFEST_UNKNOWN",)
    with pytest.raises(NotFound) as unknown_repo:
        acme.list_tags("acme/never-pushed")
    assert unknown_repo.value.codes == ("NAME_UNKNOWN",)
    assert not acme.blob_exists("acme/app", sha256_digest(b"absent"))


def test_manifest_with_a_missing_blob_is_invalid(acme):
    image = make_image({"y": b"never uploaded"})
    with pytest.raises(InvalidRequest) as refused:
        acme.put_manifest(
            "acme/app",
            "broken",
            image.manifest,
            "application/vnd.docker.distribution.manifest.v2+json",
        )
    assert "MANIFEST_BLOB_UNKNOWN" in refused.value.codes


def test_tokens_are_cached_per_scope(token_registry):
    client = token_registry.client(token_registry.team("acme"))
    push_image(client, "acme/cached", "1", make_image({"c": b"c"}))
    seen = count_token_requests(client, token_registry.settings.registry_realm)
    client.get_manifest("acme/cached", "1")
    client.get_manifest("acme/cached", "1")
    client.list_tags("acme/cached")
    assert len(seen) == 1  # one pull scope, one token
    with pytest.raises(NotFound):
        client.get_manifest("acme/other", "1")
    assert len(seen) == 2


def test_a_refused_cached_token_is_refreshed(token_registry):
    client = token_registry.client(token_registry.team("acme"))
    push_image(client, "acme/refresh", "1", make_image({"r": b"r"}))
    client.get_manifest("acme/refresh", "1")
    cache = client.transport.tokens._cache
    key = next(k for k in cache if "repository:acme/refresh:pull" in k[1])
    cache[key] = ("not.a.token", cache[key][1])  # the registry will say invalid_token
    seen = count_token_requests(client, token_registry.settings.registry_realm)
    assert client.get_manifest("acme/refresh", "1").body
    assert len(seen) == 1


def test_only_the_system_credential_deletes(token_registry, acme):
    image = make_image({"d": b"delete me"})
    digest = push_image(acme, "acme/doomed", "1", image)
    with pytest.raises(Denied):
        acme.delete_manifest("acme/doomed", digest)
    with token_registry.client(token_registry.system()) as system:
        system.delete_manifest("acme/doomed", digest)
        system.delete_blob("acme/doomed", image.layer_digest)
    with pytest.raises(NotFound):
        acme.get_manifest("acme/doomed", digest)
    assert not acme.blob_exists("acme/doomed", image.layer_digest)
