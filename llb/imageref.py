"""Splitting image references: the one place that decides what names a registry host.

``host[:port]/path[:tag][@digest]``: the first ``/``-separated component is a registry
host only when it looks like one (distribution/reference's rule: it holds ``.`` or ``:``,
is ``localhost``, or has an upper-case letter); otherwise the reference is on Docker Hub.
Every layer that reads references (the compiler, the BuildKit client, the registry
client, the pipeline) splits them here, so they can never disagree on that rule.

Only splitting lives here, no validation: each caller checks the grammar it needs
(Docker's for recipe images, our registry's for the names it forms).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The registry of a reference that names none.
DEFAULT_HOST = "docker.io"
#: The tag the Engine API and registries assume when a reference has none.
DEFAULT_TAG = "latest"


def is_registry_host(component: str) -> bool:
    """Whether the first path component of a reference names a registry host.

    Args:
        component: the text before the first ``/`` of a reference that has one.

    Returns:
        True for ``localhost`` and anything with ``.``, ``:`` or an upper-case letter.
    """
    return (
        "." in component
        or ":" in component
        or component == "localhost"
        or component.lower() != component
    )


@dataclass(frozen=True)
class RefParts:
    """The pieces of a reference, as written.

    ``host`` and ``digest`` are empty when absent; ``tag`` is None when absent and ``""``
    for a reference that ends in a bare ``:``, so validators can still refuse that.
    """

    host: str
    path: str
    tag: str | None
    digest: str

    @property
    def name(self) -> str:
        """``host/path`` (or ``path`` with no host): the reference without tag or digest."""
        return f"{self.host}/{self.path}" if self.host else self.path


def split_ref(ref: str) -> RefParts:
    """Split ``[host/]path[:tag][@digest]`` into its parts without validating them.

    Args:
        ref: an image reference.

    Returns:
        The parts; ``host`` is empty when the first component is not a registry host.
    """
    name, _, digest = ref.partition("@")
    tag = None
    colon = name.rfind(":")
    # A colon after the last slash is a tag; before it, it is the host's port.
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
    first, slash, rest = name.partition("/")
    if slash and is_registry_host(first):
        return RefParts(first, rest, tag, digest)
    return RefParts("", name, tag, digest)


def registry_host(ref: str) -> str:
    """The registry host of ``ref`` (``127.0.0.1:5000/x/y:z`` → ``127.0.0.1:5000``).

    Args:
        ref: an image reference.

    Returns:
        Its host, or ``docker.io`` when it names none.
    """
    return split_ref(ref).host or DEFAULT_HOST


def repo_and_tag(ref: str) -> tuple[str, str]:
    """The Engine API's ``(repo, tag)`` of a reference; the digest is dropped.

    Args:
        ref: an image reference (``host:5000/team/app:tag``).

    Returns:
        (``host:5000/team/app``, ``tag``), the tag ``latest`` when none is written.
    """
    parts = split_ref(ref)
    return parts.name, DEFAULT_TAG if parts.tag is None else parts.tag
