"""Retries against a registry the test stops and restarts in the middle of a push."""

from __future__ import annotations

import io
import logging
import threading

import pytest

from registry.errors import Transient
from registry.manifests import sha256_digest
from registry.transport import RetryPolicy
from tests.registry.conftest import make_image

CHUNK = 64 * 1024


class StopsRegistryMidUpload(io.BytesIO):
    """Blob content that stops the registry when the upload reads its second chunk,
    and brings it back (same port, same storage) a moment later."""

    def __init__(self, data: bytes, process, downtime: float = 1.5):
        super().__init__(data)
        self.process, self.downtime = process, downtime
        self.uploading = False
        self.outage: threading.Thread | None = None

    def seek(self, *args):
        self.uploading = True  # the digest pass is over; the upload rewinds first
        return super().seek(*args)

    def read(self, size=-1):
        if self.uploading and self.outage is None and self.tell() == CHUNK:
            self.process.stop()
            self.outage = threading.Timer(self.downtime, self.process.start)
            self.outage.start()
        return super().read(size)


def test_push_survives_a_registry_restart_mid_upload(own_registry, caplog):
    caplog.set_level(logging.WARNING, logger="registry.transport")
    client = own_registry.client(
        own_registry.team("acme"), RetryPolicy(attempts=8, base_delay=0.2, max_delay=2)
    )
    data = bytes(range(256)) * (3 * CHUNK // 256)
    source = StopsRegistryMidUpload(data, own_registry.process)
    first_pid = own_registry.process.proc.pid

    descriptor = client.upload_blob("acme/app", source, chunk_size=CHUNK)
    source.outage.join()

    assert own_registry.process.proc.pid != first_pid  # it really went away and came back
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert descriptor.digest == sha256_digest(data)
    assert client.get_blob("acme/app", descriptor.digest) == data


def test_manifest_push_waits_for_a_registry_that_comes_back(own_registry):
    client = own_registry.client(
        own_registry.team("acme"), RetryPolicy(attempts=8, base_delay=0.2, max_delay=2)
    )
    image = make_image({"f": b"after the outage"})
    client.upload_blob("acme/app", image.layer)
    client.upload_blob("acme/app", image.config)
    own_registry.process.stop()
    outage = threading.Timer(1.5, own_registry.process.start)
    outage.start()
    digest = client.put_manifest(
        "acme/app", "1", image.manifest, "application/vnd.docker.distribution.manifest.v2+json"
    )
    outage.join()
    assert client.get_manifest("acme/app", "1").digest == digest == image.digest


def test_a_registry_that_stays_down_fails_after_the_configured_attempts(own_registry, caplog):
    caplog.set_level(logging.WARNING, logger="registry.transport")
    client = own_registry.client(
        own_registry.team("acme"), RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.1)
    )
    own_registry.process.stop()
    with pytest.raises(Transient):
        client.upload_blob("acme/app", b"nowhere to go")
    assert len([r for r in caplog.records if "retrying" in r.getMessage()]) == 2
