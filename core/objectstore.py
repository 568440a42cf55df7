"""Archive storage for finished builds' logs: a local directory, or S3 when configured.

Keys are ``/``-separated relative names (``logs/build-….ndjson.gz``).  Both stores
raise :class:`ObjectNotFound` for a missing key, so callers never see a vendor error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from core.config import Settings


class ObjectNotFound(FileNotFoundError):
    """The key does not exist in the store."""


class ObjectStore(Protocol):
    """What the log archive needs from a store."""

    def put(self, key: str, source: bytes | IO[bytes]) -> None:
        """Store ``source`` (bytes or a binary file read to its end) under ``key``."""

    def open(self, key: str) -> IO[bytes]:
        """A binary stream of the object; the caller closes it."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""

    def delete(self, key: str) -> None:
        """Remove ``key``; no error when it is absent."""


def _check_key(key: str) -> PurePosixPath:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or key.endswith("/"):
        raise ValueError(f"invalid object key {key!r}")
    return path


class LocalObjectStore:
    """Objects as files under ``root``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key).parts)

    def put(self, key: str, source: bytes | IO[bytes]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, bytes | bytearray):
                    out.write(source)
                else:
                    shutil.copyfileobj(source, out)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3ObjectStore:
    """Objects in one S3 bucket (any S3-compatible endpoint), through boto3."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r})"

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (first start, tests)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, source: bytes | IO[bytes]) -> None:
        _check_key(key)
        if isinstance(source, bytes | bytearray):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(source))
        else:
            # upload_fileobj switches to multipart for large archives.
            self.client.upload_fileobj(source, self.bucket, key)

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=_check_key(key).as_posix())[
                "Body"
            ]
        except ClientError as exc:
            if _is_missing(exc):
                raise ObjectNotFound(key) from None
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=_check_key(key).as_posix())
            return True
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key).as_posix())


def _is_missing(exc: Any) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def object_store_from_settings(settings: Settings) -> ObjectStore:
    """S3 when ``s3_bucket`` is set (``s3_endpoint`` for non-AWS servers), else local.

    Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` …), never from
    our settings, so they stay out of settings dumps.
    """
    if not settings.s3_bucket:
        return LocalObjectStore(settings.archive_dir)
    import boto3

    client = boto3.client("s3", endpoint_url=settings.s3_endpoint or None,
                          region_name=settings.s3_region)
    return S3ObjectStore(client, settings.s3_bucket)
