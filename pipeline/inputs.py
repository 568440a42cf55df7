"""What a compile depends on besides the recipe: pinned images and team names.

Pinning resolves tags to manifest digests once, at compile time, so the solve (and
a redelivered solve) uses exactly the images the Definition names.  Team names are
plain variable values and secret *versions*; secret values are never read here.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import Build, EnvVar, Recipe, RecipeVersion, Team
from core.teamsecrets import version_labels
from llb import TeamNames
from llb.imageref import split_ref
from registry.client import RegistryClient
from registry.naming import (
    ONE_OFF_RECIPE,
    ImageRef,
    cache_ref,
    image_ref,
    latest_ref,
    parse_ref,
)


def base_reference(recipe_image: str | None, settings: Settings) -> str:
    """The base image a recipe builds on, with the registry host made explicit.

    A recipe may write its ``image`` without a host (``library/busybox:latest``,
    ``acme/base:1``): the only registry a team may build from is ours, so such a
    reference means this system's registry and the recipe stays portable across
    installations. No ``image`` means the configured default base.
    """
    if not recipe_image:
        return settings.default_base_image
    return recipe_image if split_ref(recipe_image).host else f"{settings.registry}/{recipe_image}"


def pin(client: RegistryClient, reference: str) -> str:
    """``host/repo:tag`` → ``host/repo:tag@sha256:…`` (already pinned refs unchanged)."""
    ref = parse_ref(reference)
    if ref.digest:
        return str(ref)
    return str(ref.with_digest(client.resolve(ref)))


def pin_both(client: RegistryClient, base: str, launcher: str) -> tuple[str, str]:
    """:func:`pin` the base and the launcher image at once: two registry round trips
    in the time of one, on the path from submit to solve start."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rb-pin") as pool:
        pinned_launcher = pool.submit(pin, client, launcher)
        return pin(client, base), pinned_launcher.result()


def team_names(session: Session, team_id: str) -> TeamNames:
    """The team's plain variables and each secret's current version label.

    The label (:func:`core.teamsecrets.version_label`) rather than the bare version,
    so a secret deleted and created again does not repeat an old cache key.
    """
    variables = {e.name: e.value for e in session.scalars(
        select(EnvVar).where(EnvVar.team_id == team_id))}
    return TeamNames(variables=variables, secrets=version_labels(session, team_id))


def env_digest(names: TeamNames) -> str:
    """A digest of the plain variable values (recorded instead of the values)."""
    text = json.dumps(dict(names.variables), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def recipe_text(session: Session, build: Build) -> tuple[str, str]:
    """The YAML a build compiles and the file name diagnostics show."""
    if build.recipe_version_id is None:
        return build.recipe_yaml or "", "recipe.yaml"
    version = session.get(RecipeVersion, build.recipe_version_id)
    recipe = session.get(Recipe, version.recipe_id)
    return version.yaml_text, f"{recipe.name}.yaml"


def image_names(session: Session, build: Build, registry: str,
                when: datetime) -> tuple[ImageRef, ImageRef, ImageRef]:
    """The build's image reference, its recipe's ``:latest`` and ``:cache`` references."""
    team = session.get(Team, build.team_id)
    if build.recipe_version_id is None:
        recipe_slug, version = ONE_OFF_RECIPE, build.id.removeprefix("build-")[:12]
    else:
        rv = session.get(RecipeVersion, build.recipe_version_id)
        # The name is a repository path component already (the API checks it), and
        # taken as it is: 'my.app' and 'my_app' are two recipes with two repositories.
        recipe_slug, version = session.get(Recipe, rv.recipe_id).name, f"v{rv.number}"
    return (image_ref(registry, team.slug, recipe_slug, version, when),
            latest_ref(registry, team.slug, recipe_slug),
            cache_ref(registry, team.slug, recipe_slug))
