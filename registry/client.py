"""An OCI distribution client on ``requests``: manifests, blobs, tags, deletes.

Each method asks the transport for a token scoped to exactly what it touches, so a client
built with a team's credentials holds tokens for that team's repositories only.  Whole
operations are retried on transient failures; an upload is restarted from its first byte.

Example:
    >>> client = RegistryClient("http://127.0.0.1:5000", Credentials("acme+robot", secret))
    >>> desc = client.upload_blob("acme/app", b"layer bytes")
    >>> client.resolve("127.0.0.1:5000/library/busybox:latest")
    'sha256:…'
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from registry.auth import Credentials, delete_scope, pull_scope, push_scope
from registry.errors import InvalidRequest
from registry.manifests import (
    MANIFEST_TYPES,
    Descriptor,
    Manifest,
    sha256_digest,
)
from registry.naming import ImageRef, parse_ref
from registry.transport import DEFAULT_RETRY, RetryPolicy, Transport
from registry.uploads import upload_blob

ACCEPT = ", ".join(MANIFEST_TYPES)


class RegistryClient:
    """Distribution API client for one registry and one set of credentials.

    Args:
        base_url: the registry's URL, e.g. ``http://127.0.0.1:5000``.
        credentials: Basic credentials for the token endpoint, ``None`` for anonymous.
        retry: backoff for transient failures (connection errors, 5xx, 429).
        timeout: seconds per HTTP request.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float = 60,
    ):
        self.transport = Transport(base_url, credentials, retry=retry, timeout=timeout)

    @property
    def host(self) -> str:
        """``host:port`` as it appears in image references."""
        return self.transport.host

    def close(self) -> None:
        """Close the client's HTTP connections."""
        self.transport.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ping(self) -> dict[str, str]:
        """Check the registry answers ``/v2/``; returns its auth challenge (empty if open).

        Raises:
            Transient: unreachable after retries.
        """
        self.transport.forget_challenge()
        return self.transport.retrying(self.transport.challenge, "ping")

    # -- manifests -------------------------------------------------------------------

    def manifest_descriptor(self, repository: str, reference: str) -> Descriptor:
        """``HEAD`` a manifest by tag or digest.

        Raises:
            NotFound: unknown repository, tag or digest.
            Denied: the credentials may not pull ``repository``.
        """

        def head() -> Descriptor:
            response = self.transport.request(
                "HEAD",
                f"/v2/{repository}/manifests/{reference}",
                [pull_scope(repository)],
                (200,),
                f"HEAD manifest {repository}:{reference}",
                headers={"Accept": ACCEPT},
            )
            digest = response.headers.get("Docker-Content-Digest")
            if not digest:
                digest = self.get_manifest(repository, reference).digest
            return Descriptor(
                response.headers.get("Content-Type", ""),
                digest,
                int(response.headers.get("Content-Length", 0)),
            )

        return self.transport.retrying(head, "HEAD manifest")

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        """Fetch an image manifest or index (OCI or Docker v2 schema 2), digest checked."""

        def get() -> Manifest:
            response = self.transport.request(
                "GET",
                f"/v2/{repository}/manifests/{reference}",
                [pull_scope(repository)],
                (200,),
                f"GET manifest {repository}:{reference}",
                headers={"Accept": ACCEPT},
            )
            digest = sha256_digest(response.content)
            if reference.startswith("sha256:") and digest != reference:
                raise InvalidRequest(f"manifest {repository}@{reference} has digest {digest}")
            media_type = response.headers.get("Content-Type", "").split(";")[0]
            return Manifest(media_type, digest, response.content)

        return self.transport.retrying(get, "GET manifest")

    def resolve(self, ref: ImageRef | str) -> str:
        """Resolve a reference to its manifest digest (used to pin base images).

        Args:
            ref: an :class:`ImageRef` or text ``host/repo:tag``; a digest is returned as is.
        """
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        if ref.digest:
            return ref.digest
        return self.manifest_descriptor(ref.repository, ref.reference).digest

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """Store a manifest under a tag (or its digest); returns its digest.

        Raises:
            InvalidRequest: e.g. ``MANIFEST_BLOB_UNKNOWN`` when a blob was not pushed.
        """

        def put() -> str:
            response = self.transport.request(
                "PUT",
                f"/v2/{repository}/manifests/{reference}",
                [push_scope(repository)],
                (201,),
                f"PUT manifest {repository}:{reference}",
                data=body,
                headers={"Content-Type": media_type},
            )
            return response.headers.get("Docker-Content-Digest") or sha256_digest(body)

        return self.transport.retrying(put, "PUT manifest")

    def list_tags(self, repository: str, page_size: int = 1000) -> list[str]:
        """All tags of ``repository``, following ``Link`` pagination."""

        def fetch() -> list[str]:
            tags: list[str] = []
            url: str | None = f"/v2/{repository}/tags/list?n={page_size}"
            while url:
                response = self.transport.request(
                    "GET", url, [pull_scope(repository)], (200,), f"list tags of {repository}"
                )
                tags.extend(response.json().get("tags") or [])
                url = response.links.get("next", {}).get("url")
            return tags

        return self.transport.retrying(fetch, "list tags")

    def delete_manifest(self, repository: str, digest: str) -> None:
        """Delete a manifest by digest (distribution does not delete by tag)."""
        self.transport.retrying(
            lambda: self.transport.request(
                "DELETE",
                f"/v2/{repository}/manifests/{digest}",
                [delete_scope(repository)],
                (202,),
                f"DELETE manifest {repository}@{digest}",
            ),
            "DELETE manifest",
        )

    # -- blobs -----------------------------------------------------------------------

    def blob_exists(self, repository: str, digest: str) -> bool:
        """Whether ``repository`` links blob ``digest`` (``HEAD``; 404 means no)."""

        def head() -> bool:
            response = self.transport.request(
                "HEAD",
                f"/v2/{repository}/blobs/{digest}",
                [pull_scope(repository)],
                (200, 404),
                f"HEAD blob {repository}@{digest}",
            )
            return response.status_code == 200

        return self.transport.retrying(head, "HEAD blob")

    def get_blob(self, repository: str, digest: str) -> bytes:
        """Download a blob into memory and check its digest."""

        def get() -> bytes:
            response = self.transport.request(
                "GET",
                f"/v2/{repository}/blobs/{digest}",
                [pull_scope(repository)],
                (200,),
                f"GET blob {repository}@{digest}",
            )
            if sha256_digest(response.content) != digest:
                raise InvalidRequest(f"blob {repository}@{digest} arrived with another digest")
            return response.content

        return self.transport.retrying(get, "GET blob")

    def delete_blob(self, repository: str, digest: str) -> None:
        """Unlink a blob from ``repository``."""
        self.transport.retrying(
            lambda: self.transport.request(
                "DELETE",
                f"/v2/{repository}/blobs/{digest}",
                [delete_scope(repository)],
                (202,),
                f"DELETE blob {repository}@{digest}",
            ),
            "DELETE blob",
        )

    def mount_blob(self, repository: str, digest: str, from_repository: str) -> bool:
        """Link an existing blob of ``from_repository`` into ``repository`` without upload.

        Returns:
            ``True`` when mounted; ``False`` when the registry could not mount it (the
            caller then uploads the blob).

        Raises:
            Denied: the credentials may not push ``repository`` or pull the source.
        """
        scopes = [push_scope(repository), pull_scope(from_repository)]

        def mount() -> bool:
            response = self.transport.request(
                "POST",
                f"/v2/{repository}/blobs/uploads/",
                scopes,
                (201, 202),
                f"mount {digest} from {from_repository} into {repository}",
                params={"mount": digest, "from": from_repository},
            )
            # 202: the registry opened an ordinary upload instead.  Cancelling it needs
            # ``delete``, which teams do not hold; the registry purges stale uploads.
            return response.status_code == 201

        return self.transport.retrying(mount, "mount blob")

    def upload_blob(
        self,
        repository: str,
        source: bytes | Path | BinaryIO,
        digest: str | None = None,
        chunk_size: int | None = None,
    ) -> Descriptor:
        """Upload a blob, in one ``PUT`` or in ``PATCH`` chunks.

        A transient failure restarts the upload from the first byte, so a file source
        must be seekable.

        Args:
            repository: the target repository.
            source: the content: bytes, a file path, or a seekable binary stream.
            digest: its ``sha256:`` digest if known (computed otherwise).
            chunk_size: force a chunked upload with this chunk size; by default blobs
                above 32 MiB go in 16 MiB chunks.

        Returns:
            The blob's descriptor (media type left empty).
        """
        return upload_blob(self.transport, repository, source, digest, chunk_size)
