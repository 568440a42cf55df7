"""Registry credentials for the Docker Engine API, and reading its push stream.

The worker pushes through dockerd with an ``X-Registry-Auth`` header: URL-safe base64
*with padding* of ``{"username", "password", "serveraddress"}`` (a header that does not
decode is silently treated as anonymous).  A push answers HTTP 200 even when it fails;
the failure is the last JSON line of the stream (registry-token-auth.md §6).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable

from registry.auth import Credentials
from registry.errors import Denied, RegistryError, Unauthorized


def registry_auth_header(credentials: Credentials, serveraddress: str) -> str:
    """The ``X-Registry-Auth`` value for ``credentials`` on registry ``serveraddress``.

    Args:
        credentials: the team robot's credentials.
        serveraddress: ``host:port`` of the registry.
    """
    document = {
        "username": credentials.username,
        "password": credentials.password,
        "serveraddress": serveraddress,
    }
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def push_outcome(lines: Iterable[bytes | str]) -> dict:
    """Check an Engine push stream; return the final ``aux`` object (tag, digest, size).

    Raises:
        Denied: the registry refused the repository.
        Unauthorized: the credentials were refused.
        RegistryError: any other failure reported in the stream.
    """
    aux: dict = {}
    for line in lines:
        if not line or not line.strip():
            continue
        event = json.loads(line)
        if "error" in event or "errorDetail" in event:
            message = event.get("errorDetail", {}).get("message") or event.get("error", "")
            lowered = message.lower()
            if "denied" in lowered:
                raise Denied(f"push refused: {message}")
            if "unauthorized" in lowered or "authentication required" in lowered:
                raise Unauthorized(f"push refused: {message}")
            raise RegistryError(f"push failed: {message}")
        aux = event.get("aux") or aux
    if not aux.get("Digest"):
        raise RegistryError("push stream ended without a digest")
    return aux
