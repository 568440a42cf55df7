"""Blob uploads.

Blob uploads: one ``PUT``, or ``PATCH`` chunks then ``PUT``, restarted on transient
failures from the first byte (the registry may have lost the session).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from registry.auth import push_scope
from registry.manifests import Descriptor, file_digest
from registry.transport import Transport

# Blobs up to this size go up in one PUT; larger ones in chunks of CHUNK_SIZE.
MONOLITHIC_MAX = 32 << 20
CHUNK_SIZE = 16 << 20


def upload_blob(
    transport: Transport,
    repository: str,
    source: bytes | Path | BinaryIO,
    digest: str | None = None,
    chunk_size: int | None = None,
) -> Descriptor:
    """Upload a blob; see :meth:`registry.client.RegistryClient.upload_blob`."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return upload_blob(transport, repository, stream, digest, chunk_size)
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    start = stream.tell()
    computed, size = file_digest(stream)
    if digest and digest != computed:
        raise ValueError(f"blob content has digest {computed}, not {digest}")
    if chunk_size is None and size > MONOLITHIC_MAX:
        chunk_size = CHUNK_SIZE

    def attempt() -> Descriptor:
        stream.seek(start)
        _upload_once(transport, repository, stream, computed, chunk_size)
        return Descriptor("", computed, size)

    return transport.retrying(attempt, f"upload {computed} to {repository}")


def _upload_once(transport, repository, stream, digest, chunk_size) -> None:
    scopes = [push_scope(repository)]
    what = f"upload {digest} to {repository}"
    response = transport.request("POST", f"/v2/{repository}/blobs/uploads/", scopes, (202,), what)
    location = response.headers["Location"]
    if chunk_size:
        offset = 0
        while chunk := stream.read(chunk_size):
            response = transport.request(
                "PATCH",
                location,
                scopes,
                (202,),
                what,
                data=chunk,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
                },
            )
            offset += len(chunk)
            location = response.headers["Location"]
        body = b""
    else:
        body = stream.read()
    transport.request(
        "PUT",
        location,
        scopes,
        (201,),
        what,
        params={"digest": digest},
        data=body,
        headers={"Content-Type": "application/octet-stream"},
    )
