"""Repository names, tags and image references in the team registry.

Images are ``<registry>/<team>/<recipe-slug>:<recipe-version>-<UTC timestamp>`` plus a
moving ``:latest``; a recipe's build cache is ``<registry>/<team>/<recipe-slug>:cache``.
Slugs follow distribution's path-component grammar so every name we form is one the
registry accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from llb.imageref import split_ref

# distribution/reference: lower-case alphanumerics joined by ".", "_", "__" or dashes.
PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}")
NAME_MAX = 255
SLUG_MAX = 63
# ``library/`` holds the shared base images every team may pull; a team by that name
# would be granted push there.
RESERVED_TEAMS = frozenset({"library"})
#: The repository of a team's one-off builds (no saved recipe); no recipe may take it,
#: or the two would share their ``:latest`` and ``:cache``.
ONE_OFF_RECIPE = "adhoc"
CACHE_TAG = "cache"
LATEST_TAG = "latest"


class InvalidName(ValueError):
    """A team, recipe, tag or reference the registry would not accept."""


def validate_slug(value: str, what: str = "slug") -> str:
    """Check one repository path component (a team or recipe slug).

    Args:
        value: the candidate slug.
        what: what it is, for the message (``"team"``, ``"recipe"``).

    Returns:
        ``value`` unchanged.

    Raises:
        InvalidName: not lower-case ``[a-z0-9]`` runs joined by ``.``, ``_``, ``__`` or
            dashes, or longer than 63 characters.
    """
    if len(value) > SLUG_MAX or not PATH_COMPONENT.fullmatch(value):
        raise InvalidName(
            f"{what} {value!r} is not a valid registry name: use lower-case letters and "
            f"digits joined by '.', '_' or '-', at most {SLUG_MAX} characters"
        )
    return value


def validate_team(team: str) -> str:
    """Check a team slug; ``library`` is reserved for the shared base images."""
    validate_slug(team, "team")
    if team in RESERVED_TEAMS:
        raise InvalidName(f"team {team!r} is reserved")
    return team


def validate_tag(tag: str) -> str:
    r"""Check a tag against the registry's grammar (``[\w][\w.-]{0,127}``)."""
    if not TAG.fullmatch(tag):
        raise InvalidName(f"tag {tag!r} is not a valid registry tag")
    return tag


def validate_repository(name: str) -> str:
    """Check a repository name: ``/``-joined path components, at most 255 characters."""
    if len(name) > NAME_MAX or not all(PATH_COMPONENT.fullmatch(p) for p in name.split("/")):
        raise InvalidName(f"repository {name!r} is not a valid registry name")
    return name


@dataclass(frozen=True)
class ImageRef:
    """A reference ``registry/repository[:tag][@digest]``."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest when pinned, else the tag."""
        return self.digest or self.tag or LATEST_TAG

    def with_tag(self, tag: str) -> ImageRef:
        """The same repository at another (validated) tag, without digest."""
        return ImageRef(self.registry, self.repository, validate_tag(tag), None)

    def with_digest(self, digest: str) -> ImageRef:
        """The same reference pinned to ``digest``."""
        return ImageRef(self.registry, self.repository, self.tag, digest)


def parse_ref(text: str) -> ImageRef:
    """Parse ``host[:port]/repo[:tag][@digest]``; the registry part is required.

    Raises:
        InvalidName: no registry host, or a bad repository, tag or digest.
    """
    parts = split_ref(text)
    if not parts.host:
        raise InvalidName(f"image reference {text!r} does not start with a registry host")
    repository, digest = parts.path, parts.digest
    tag = None if parts.tag is None else validate_tag(parts.tag)
    validate_repository(repository)
    if digest and not DIGEST.fullmatch(digest):
        raise InvalidName(f"digest {digest!r} in {text!r} is malformed")
    return ImageRef(parts.host, repository, tag, digest or None)


def build_timestamp(when: dt.datetime) -> str:
    """UTC timestamp used in image tags, e.g. ``20260101T120000Z``."""
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def image_ref(registry: str, team: str, recipe: str, version: str, when: dt.datetime) -> ImageRef:
    """The immutable reference of one build: ``<team>/<recipe>:<version>-<timestamp>``."""
    repository = f"{validate_team(team)}/{validate_slug(recipe, 'recipe')}"
    tag = validate_tag(f"{version}-{build_timestamp(when)}")
    return ImageRef(registry, validate_repository(repository), tag)


def latest_ref(registry: str, team: str, recipe: str) -> ImageRef:
    """The moving ``:latest`` reference of a team's recipe."""
    repository = f"{validate_team(team)}/{validate_slug(recipe, 'recipe')}"
    return ImageRef(registry, validate_repository(repository), LATEST_TAG)


def cache_ref(registry: str, team: str, recipe: str) -> ImageRef:
    """The build-cache reference of a team's recipe (``:cache``), shared across versions."""
    return latest_ref(registry, team, recipe).with_tag(CACHE_TAG)
