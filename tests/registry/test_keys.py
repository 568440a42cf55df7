"""The signing key, its libtrust key id and the certificate bundle."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
import subprocess

from cryptography import x509

from registry.keys import BUNDLE_FILE, KEY_FILE, bundle_kids, ensure_signing_key


def test_kid_is_libtrust_fingerprint_of_the_spki(tmp_path):
    key = ensure_signing_key(tmp_path)
    # Independently: openssl's DER SubjectPublicKeyInfo of the certificate's key.
    der = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / BUNDLE_FILE), "-pubkey", "-noout"],
        check=True,
        capture_output=True,
    ).stdout
    spki = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"], input=der, check=True, capture_output=True
    ).stdout
    b32 = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode()
    assert key.kid.replace(":", "") == b32
    assert re.fullmatch(r"([A-Z2-7]{4}:){11}[A-Z2-7]{4}", key.kid)


def test_key_is_reused_and_private(tmp_path):
    first = ensure_signing_key(tmp_path)
    second = ensure_signing_key(tmp_path)
    assert first.kid == second.kid
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_bundle_trusts_the_key_as_a_ca(tmp_path):
    key = ensure_signing_key(tmp_path)
    assert bundle_kids(key.bundle_path) == {key.kid}
    cert = x509.load_pem_x509_certificate(key.bundle_path.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_lost_bundle_is_rewritten_for_the_same_key(tmp_path):
    key = ensure_signing_key(tmp_path)
    key.bundle_path.unlink()
    assert bundle_kids(ensure_signing_key(tmp_path).bundle_path) == {key.kid}
