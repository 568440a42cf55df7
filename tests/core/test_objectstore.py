"""Archive storage behaves the same on a local directory and on S3 (moto's server)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from core.config import Settings
from core.objectstore import (
    LocalObjectStore,
    ObjectNotFound,
    S3ObjectStore,
    object_store_from_settings,
)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path):
    if request.param == "local":
        return object_store_from_settings(settings.with_overrides(archive_dir=tmp_path / "a"))
    store = object_store_from_settings(request.getfixturevalue("s3_settings"))
    store.ensure_bucket()
    return store


def test_settings_pick_the_backend(settings: Settings, tmp_path: Path) -> None:
    local = object_store_from_settings(settings.with_overrides(archive_dir=tmp_path,
                                                               s3_bucket=""))
    assert isinstance(local, LocalObjectStore) and local.root == tmp_path
    remote = object_store_from_settings(
        settings.with_overrides(s3_bucket="b", s3_endpoint="http://127.0.0.1:9")
    )
    assert isinstance(remote, S3ObjectStore) and remote.bucket == "b"


def test_put_bytes_then_read_back(store) -> None:
    store.put("logs/build-1.ndjson.gz", b"\x00binary\xff")
    with store.open("logs/build-1.ndjson.gz") as body:
        assert body.read() == b"\x00binary\xff"
    assert store.exists("logs/build-1.ndjson.gz")


def test_put_large_stream_round_trips(store) -> None:
    payload = os.urandom(9 * 1024 * 1024)  # over boto3's multipart threshold
    store.put("logs/big", io.BytesIO(payload))
    with store.open("logs/big") as body:
        assert body.read() == payload


def test_overwrite_replaces(store) -> None:
    store.put("k", b"one")
    store.put("k", b"two")
    with store.open("k") as body:
        assert body.read() == b"two"


def test_missing_keys(store) -> None:
    assert not store.exists("logs/none")
    with pytest.raises(ObjectNotFound):
        store.open("logs/none")
    store.delete("logs/none")  # absent is fine
    store.put("logs/gone", b"x")
    store.delete("logs/gone")
    assert not store.exists("logs/gone")


@pytest.mark.parametrize("key", ["", "/abs", "../escape", "a/../../b", "dir/"])
def test_keys_cannot_escape(store, key: str) -> None:
    with pytest.raises(ValueError):
        store.put(key, b"x")
