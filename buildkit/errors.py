"""The typed errors of the BuildKit client.

Every failure that leaves this package is one of these classes, so callers never
see a raw grpc traceback.  :func:`from_rpc_error` is the single place where a
``grpc.RpcError`` is translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import grpc


class BuildKitError(Exception):
    """Base class of every error raised by :mod:`buildkit`."""


class DaemonUnreachable(BuildKitError):
    """The daemon's socket or address does not answer."""


class UnsupportedCapability(BuildKitError):
    """The Definition relies on capabilities the daemon does not have."""

    def __init__(self, message: str, caps: tuple[str, ...] = ()):
        super().__init__(message)
        self.caps = caps


@dataclass(frozen=True)
class SourceLocation:
    """Where a vertex comes from in the recipe (from the Definition's source map)."""

    filename: str
    line: int
    end_line: int

    def __str__(self) -> str:
        if self.end_line and self.end_line != self.line:
            return f"{self.filename}:{self.line}-{self.end_line}"
        return f"{self.filename}:{self.line}"


class SolveFailed(BuildKitError):
    """The daemon ran the build and it failed.

    Attributes:
        vertex_digest: digest of the failing vertex, when the daemon named one.
        vertex_name: its display name.
        location: its recipe location from the Definition's source map, if any.
    """

    def __init__(
        self,
        message: str,
        vertex_digest: str = "",
        vertex_name: str = "",
        location: SourceLocation | None = None,
    ):
        where = f" ({location})" if location else ""
        step = f" in [{vertex_name}]" if vertex_name else ""
        super().__init__(f"build failed{step}{where}: {message}")
        self.reason = message
        self.vertex_digest = vertex_digest
        self.vertex_name = vertex_name
        self.location = location


class InvalidDefinition(SolveFailed):
    """The daemon refused to load the Definition (malformed LLB)."""


class SolveCancelled(BuildKitError):
    """The solve was cancelled by the caller."""


class PushFailed(BuildKitError):
    """Pushing the image to the registry failed."""


class AuthFailed(BuildKitError):
    """The registry refused the credentials (push, pull or cache import)."""


_AUTH_WORDS = ("unauthorized", "authentication required", "denied", "401 unauthorized")


def looks_like_auth_error(message: str) -> bool:
    """True when a daemon or registry message reports refused credentials."""
    text = message.lower()
    return any(word in text for word in _AUTH_WORDS)


#: How much of a failed process's command line an error keeps.
COMMAND_HEAD_CHARS = 60
# How the daemons name the process of a failed exec op: buildkitd quotes the joined
# args (Go's %q), Docker 20.10's BuildKit prints them as a Go slice.
_EXEC_COMMANDS = (re.compile(r'(process ")((?:[^"\\]|\\.)*)(" did not complete successfully)'),
                  re.compile(r"(executor failed running \[)(.*)(\]: )"))


def command_head(command: str, limit: int = COMMAND_HEAD_CHARS) -> str:
    """The leading arguments of a command line that fit in ``limit`` characters.

    An exec op's arguments can carry kilobytes (the launcher's encoded step): an
    error quoting them all buries its cause, so whatever does not fit is "…".
    """
    kept: list[str] = []
    for arg in command.split(" "):
        if len(" ".join([*kept, arg])) > limit:
            return " ".join([*kept, "…"])
        kept.append(arg)
    return command


def shorten_exec_error(message: str) -> str:
    """A daemon error with the failed process's command line cut to its head."""
    for pattern in _EXEC_COMMANDS:
        message = pattern.sub(
            lambda m: m.group(1) + command_head(m.group(2)) + m.group(3), message)
    return message


def from_rpc_error(err: grpc.RpcError, what: str) -> BuildKitError:
    """Translate a grpc error from call ``what`` into a typed error."""
    code = err.code() if hasattr(err, "code") else None
    details = (err.details() if hasattr(err, "details") else "") or str(code)
    if code == grpc.StatusCode.UNAVAILABLE:
        return DaemonUnreachable(f"{what}: BuildKit daemon unavailable: {details}")
    if code == grpc.StatusCode.CANCELLED:
        return SolveCancelled(f"{what}: cancelled")
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return UnsupportedCapability(f"{what}: not supported by this daemon: {details}")
    if "failed to load LLB" in details or "invalid LLB" in details:
        return InvalidDefinition(details)
    if "unknown API capability" in details:
        return UnsupportedCapability(details)
    return SolveFailed(shorten_exec_error(details))
