"""Engine API helpers: the X-Registry-Auth encoding and the push stream verdict."""

from __future__ import annotations

import base64
import json

import pytest

from registry.auth import Credentials
from registry.engine import push_outcome, registry_auth_header
from registry.errors import Denied, RegistryError, Unauthorized


def test_header_is_urlsafe_base64_with_padding():
    # A password chosen so standard base64 would contain '+' or '/'.
    creds = Credentials("acme+robot", "??>>??~~")
    header = registry_auth_header(creds, "127.0.0.1:5000")
    assert "+" not in header and "/" not in header
    assert len(header) % 4 == 0  # dockerd treats an unpadded header as anonymous
    assert json.loads(base64.urlsafe_b64decode(header)) == {
        "username": "acme+robot",
        "password": "??>>??~~",
        "serveraddress": "127.0.0.1:5000",
    }


def test_push_outcome_returns_the_aux_digest():
    lines = [
        b'{"status":"Pushing"}',
        b'{"status":"1: digest: sha256:ab size: 1"}',
        b'{"progressDetail":{},"aux":{"Tag":"1","Digest":"sha256:ab","Size":1}}',
    ]
    assert push_outcome(lines)["Digest"] == "sha256:ab"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("denied: requested access to the resource is denied", Denied),
        ("unauthorized: invalid username or password", Unauthorized),
        ("An image does not exist locally with the tag: x", RegistryError),
    ],
)
def test_push_outcome_raises_on_the_final_error_line(message, error):
    line = json.dumps({"errorDetail": {"message": message}, "error": message}).encode()
    with pytest.raises(error, match="push"):
        push_outcome([b'{"status":"Preparing"}', line])


def test_a_stream_without_digest_is_a_failure():
    with pytest.raises(RegistryError):
        push_outcome([b'{"status":"Preparing"}'])
