"""A Python client for BuildKit: Docker's embedded BuildKit and standalone buildkitd.

Public API: :func:`connect` → :class:`Client`; :class:`SolveOptions`,
:class:`ImageConfig`, :class:`SolveResult`; progress events in
:mod:`buildkit.progress`; rendering in :mod:`buildkit.render`; errors in
:mod:`buildkit.errors`.
"""

from buildkit.client import Client, SolveHandle, connect
from buildkit.errors import (
    AuthFailed,
    BuildKitError,
    DaemonUnreachable,
    InvalidDefinition,
    PushFailed,
    SolveCancelled,
    SolveFailed,
    UnsupportedCapability,
)
from buildkit.options import ImageConfig, SolveOptions, SolveResult
from buildkit.session import RegistryCredentials

__all__ = [
    "AuthFailed", "BuildKitError", "Client", "DaemonUnreachable", "ImageConfig",
    "InvalidDefinition", "PushFailed", "RegistryCredentials", "SolveCancelled", "SolveFailed",
    "SolveHandle", "SolveOptions", "SolveResult", "UnsupportedCapability", "connect",
]
