"""Source ops: container images and git repositories.

Identifiers and attributes follow the Go client exactly, because they are part of
the op bytes and therefore of the digests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..imageref import DEFAULT_HOST, split_ref
from . import paths
from .state import Output, State
from .types import GraphError, OpMeta, Platform, op_meta

ATTR_IMAGE_RESOLVE_MODE = "image.resolvemode"
ATTR_IMAGE_RECORD_TYPE = "image.recordtype"
ATTR_KEEP_GIT_DIR = "git.keepgitdir"
ATTR_FULL_REMOTE_URL = "git.fullurl"
ATTR_AUTH_HEADER_SECRET = "git.authheadersecret"
ATTR_AUTH_TOKEN_SECRET = "git.authtokensecret"
ATTR_KNOWN_SSH_HOSTS = "git.knownsshhosts"
ATTR_MOUNT_SSH_SOCK = "git.mountsshsock"

GIT_AUTH_HEADER_KEY = "GIT_AUTH_HEADER"
GIT_AUTH_TOKEN_KEY = "GIT_AUTH_TOKEN"

RESOLVE_MODES = ("default", "pull", "local")


@dataclass(frozen=True, eq=False)
class SourceVertex:
    """A source op. ``platform_specific`` is False for git: its op carries no platform."""

    identifier: str
    attrs: tuple[tuple[str, str], ...]
    caps: frozenset[str]
    platform_specific: bool
    platform: Platform | None
    meta: OpMeta

    def inputs(self) -> tuple[Output, ...]:
        """Sources have no inputs."""
        return ()


_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_DOMAIN_RE = re.compile(r"^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


def normalize_image_ref(ref: str) -> str:
    """Fully qualify an image reference as Docker does.

    ``alpine`` becomes ``docker.io/library/alpine:latest``; a digest-only reference gets no tag.

    Raises:
        GraphError: when ``ref`` is not a valid reference.
    """
    parts = split_ref(ref)
    digest, tag = parts.digest, parts.tag
    if digest and not _DIGEST_RE.match(digest):
        raise GraphError(f"image reference {ref!r}: invalid digest")
    if tag is not None and not _TAG_RE.match(tag):
        raise GraphError(f"image reference {ref!r}: invalid tag {tag!r}")
    domain, rest = parts.host, parts.path
    if not domain:
        domain = DEFAULT_HOST
    elif domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in rest:
        rest = "library/" + rest
    if not _DOMAIN_RE.match(domain) or not _PATH_RE.match(rest):
        raise GraphError(f"image reference {ref!r} is not a valid repository name")
    result = f"{domain}/{rest}"
    if tag:
        result += ":" + tag
    elif not digest:
        result += ":latest"
    return result + (f"@{digest}" if digest else "")


def image(
    ref: str,
    *,
    platform: Platform | str | None = None,
    resolve_mode: str | None = None,
    record_type: str | None = None,
    **meta: Any,
) -> State:
    """A container image, like the Go client's ``llb.Image``.

    Args:
        ref: image reference; normalised (``busybox`` → ``docker.io/library/busybox:latest``).
        platform: platform to pull and to run later execs on (None = marshal default).
        resolve_mode: ``"default"``, ``"pull"`` (needs ``source.image.resolvemode``) or
            ``"local"``; None writes no attribute.
        record_type: the ``image.recordtype`` attribute (e.g. ``"internal"``).
        **meta: ``custom_name``, ``description``, ``ignore_cache``, ``export_cache``,
            ``locations`` (see :func:`llb.graph.types.op_meta`).

    Returns:
        A state whose filesystem is the image's rootfs, cwd ``/``.

    Example:
        >>> st = image("127.0.0.1:5000/library/busybox:1", platform="linux/amd64")
    """
    if isinstance(platform, str):
        platform = Platform.parse(platform)
    caps = {"source.image"}
    attrs: dict[str, str] = {}
    if resolve_mode is not None and resolve_mode != "default":
        if resolve_mode not in RESOLVE_MODES:
            raise GraphError(f"resolve mode {resolve_mode!r} is not one of {RESOLVE_MODES}")
        attrs[ATTR_IMAGE_RESOLVE_MODE] = resolve_mode
        if resolve_mode == "pull":
            caps.add("source.image.resolvemode")  # only the enforced mode needs the cap
    if record_type:
        attrs[ATTR_IMAGE_RECORD_TYPE] = record_type
    vertex = SourceVertex(
        identifier="docker-image://" + normalize_image_ref(ref),
        attrs=tuple(sorted(attrs.items())),
        caps=frozenset(caps),
        platform_specific=True,
        platform=platform,
        meta=op_meta(**meta),
    )
    return State(output=Output(vertex), platform=platform)


_SCP_RE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/@]+):(?P<path>.+)$")
_GIT_SCHEMES = ("http", "https", "ssh", "git")


def _parse_git_url(url: str) -> tuple[str, str, str, str]:
    """(scheme, host, path, remote-without-fragment) the way BuildKit's gitutil reads them."""
    scheme_match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", url)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme not in _GIT_SCHEMES:
            raise GraphError(f"git URL {url!r}: unsupported protocol {scheme!r}")
        parts = urlsplit(url)
        return scheme, parts.netloc.rpartition("@")[2], parts.path, url.partition("#")[0]
    scp = _SCP_RE.match(url)
    if scp and scp.group("user"):
        return "ssh", scp.group("host"), scp.group("path").partition("#")[0], url.partition("#")[0]
    # Unknown protocol: the Go client assumes https.
    return _parse_git_url("https://" + url)


def git(
    url: str,
    ref: str = "",
    *,
    keep_git_dir: bool = False,
    auth_token_secret: str | None = None,
    auth_header_secret: str | None = None,
    known_ssh_hosts: str | None = None,
    mount_ssh_sock: str | None = None,
    **meta: Any,
) -> State:
    """A git repository checkout, like the Go client's ``llb.Git``.

    Credentials never enter the graph: ``auth_token_secret`` and ``auth_header_secret``
    name session secrets the daemon asks the client for (defaults ``GIT_AUTH_TOKEN`` /
    ``GIT_AUTH_HEADER``, exactly as the Go client writes them).

    Args:
        url: ``https://host/path.git``, ``ssh://…``, ``git://…`` or ``user@host:path``.
        ref: branch, tag or commit; empty = the remote's default branch.
        keep_git_dir: keep ``.git`` in the checkout.
        auth_token_secret: session secret id holding an HTTP token (adds
            ``source.git.httpauth``).
        auth_header_secret: session secret id holding a full auth header.
        known_ssh_hosts: known_hosts lines for ssh URLs. Unlike the Go client we never
            run ``ssh-keyscan`` (no I/O in the graph); without it the attribute is absent.
        mount_ssh_sock: ssh agent id for ssh URLs (default ``"default"``).
        **meta: see :func:`llb.graph.types.op_meta`.

    Raises:
        GraphError: for an unsupported protocol.
    """
    scheme, host, path, remote = _parse_git_url(url)
    identifier = host + paths.join("/", path)
    if ref:
        identifier += "#" + ref
    attrs: dict[str, str] = {}
    caps = set()
    if keep_git_dir:
        attrs[ATTR_KEEP_GIT_DIR] = "true"
        caps.add("source.git.keepgitdir")
    attrs[ATTR_FULL_REMOTE_URL] = remote
    caps.add("source.git.fullurl")
    attrs[ATTR_AUTH_TOKEN_SECRET] = auth_token_secret or GIT_AUTH_TOKEN_KEY
    attrs[ATTR_AUTH_HEADER_SECRET] = auth_header_secret or GIT_AUTH_HEADER_KEY
    if auth_token_secret or auth_header_secret:
        caps.add("source.git.httpauth")
    if scheme == "ssh":
        if known_ssh_hosts:
            attrs[ATTR_KNOWN_SSH_HOSTS] = known_ssh_hosts.rstrip("\n") + "\n"
        caps.add("source.git.knownsshhosts")
        attrs[ATTR_MOUNT_SSH_SOCK] = mount_ssh_sock or "default"
        caps.add("source.git.mountsshsock")
    caps.add("source.git")
    vertex = SourceVertex(
        identifier="git://" + identifier,
        attrs=tuple(sorted(attrs.items())),
        caps=frozenset(caps),
        platform_specific=False,
        platform=None,
        meta=op_meta(**meta),
    )
    return State(output=Output(vertex))
