"""The token signing key pair and the certificate bundle the registry trusts.

distribution verifies a token's ``kid`` against the public keys of the certificates in
its ``rootcertbundle``; the ``kid`` is libtrust's fingerprint of the key (see
registry-token-auth.md §4).  We use ECDSA P-256 (``ES256``): distribution panics on
Ed25519 and refuses PS256, and PyJWT writes ECDSA signatures in the raw ``r‖s`` form the
registry wants.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY_FILE = "token-signing-key.pem"
BUNDLE_FILE = "token-rootcerts.pem"
ALGORITHM = "ES256"
# The registry does not check certificate dates for ``kid`` tokens; a long life keeps a
# self-hosted stack from breaking silently.  Rotation is by adding a new certificate.
CERT_LIFETIME = dt.timedelta(days=3650)


@dataclass(frozen=True)
class SigningKey:
    """A private key with the identifiers a token header needs.

    Attributes:
        private_key: the ECDSA private key tokens are signed with.
        kid: libtrust fingerprint of its public key (the JWT ``kid`` header).
        algorithm: the JWT ``alg`` matching the key.
        bundle_path: PEM file of the certificates the registry trusts.
    """

    private_key: ec.EllipticCurvePrivateKey
    kid: str
    algorithm: str
    bundle_path: Path


def libtrust_kid(public_key: ec.EllipticCurvePublicKey) -> str:
    """Return libtrust's key id: base32 of the first 240 bits of sha256(SPKI DER), grouped.

    Args:
        public_key: the key whose id is wanted.

    Returns:
        Twelve groups of four upper-case base32 characters joined by ``:``.
    """
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, 48, 4))


def self_signed_certificate(
    key: ec.EllipticCurvePrivateKey, common_name: str, now: dt.datetime | None = None
) -> x509.Certificate:
    """Make a self-signed CA certificate for ``key`` (a bundle entry for the registry)."""
    now = now or dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def ensure_signing_key(
    directory: Path, common_name: str = "recipe-builder token signer"
) -> SigningKey:
    """Load the signing key from ``directory``, creating the key and bundle when absent.

    Idempotent: an existing key is reused, so tokens stay valid across restarts.  The
    bundle is rewritten only when it does not trust the key.

    Args:
        directory: where ``token-signing-key.pem`` (mode 0600) and
            ``token-rootcerts.pem`` live, normally ``<state_dir>/registry``.
        common_name: subject of a newly made certificate.

    Returns:
        The loaded :class:`SigningKey`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key_path, bundle_path = directory / KEY_FILE, directory / BUNDLE_FILE
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path} is not an ECDSA key")
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(key_path, pem)
    kid = libtrust_kid(key.public_key())
    if kid not in bundle_kids(bundle_path):
        cert = self_signed_certificate(key, common_name)
        bundle_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SigningKey(private_key=key, kid=kid, algorithm=ALGORITHM, bundle_path=bundle_path)


def bundle_kids(bundle_path: Path) -> set[str]:
    """The key ids of every certificate in a PEM bundle (empty when it is missing)."""
    if not bundle_path.exists():
        return set()
    certs = x509.load_pem_x509_certificates(bundle_path.read_bytes())
    return {libtrust_kid(c.public_key()) for c in certs}


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
