"""The compile stage: recipe text → pinned, stored Definition (or a located error).

Called by ``tasks.compile.compile_build`` with a build id.  Pins the base and
dzlaunch images to digests, gathers the team's variable values and secret
versions, compiles, stores the Definition with everything the build stage needs
(never a secret value), and joins an identical in-flight build when there is one.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from core import states
from core.db import Build, BuildState, Recipe, RecipeVersion, Team, utcnow
from core.logevents import HEADER, Entry
from llb import CompileInputs, CompileResult, RecipeError, compile_recipe, load_recipe
from pipeline import dedupe, headers
from pipeline.buildplan import BuildPlan
from pipeline.finalize import finish_build
from pipeline.inputs import (
    base_reference,
    env_digest,
    image_names,
    pin_both,
    recipe_text,
    team_names,
)
from pipeline.secrets import used_names
from pipeline.services import Services
from registry.errors import NotFound, RegistryError

S = BuildState


class CompileRejected(Exception):
    """The recipe cannot be built; ``line`` is the recipe line of the first problem."""

    def __init__(self, message: str, line: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.detail = detail


def compile_build(services: Services, build_id: str, worker: str) -> bool:
    """Compile one build; True when the build stage should solve it.

    Raises:
        registry.errors.RegistryError: transient registry faults (the task retries).
    """
    with services.sessions() as session:
        build = session.get(Build, build_id)
        if build is None or build.state.terminal or build.state not in (S.QUEUED, S.COMPILING):
            return False
        if build.state is S.QUEUED:
            if not states.transition(session, build_id, S.QUEUED, S.COMPILING, worker=worker):
                return False
            session.commit()
            _log(services, build_id, headers.started(build_id, utcnow()))
        try:
            result, pinned, plan = _compile(services, session, build)
        except CompileRejected as rejected:
            _fail(services, session, build_id, rejected)
            return False
        return _store(services, session, build, result, pinned, plan)


def _log(services: Services, build_id: str, *lines: str) -> None:
    services.bus.append(build_id, [Entry(HEADER, line) for line in lines])


def _compile(services: Services, session: Session,
             build: Build) -> tuple[CompileResult, dict, BuildPlan]:
    settings = services.settings
    team = session.get(Team, build.team_id)
    _refuse_deleted_recipe(session, build)
    text, filename = recipe_text(session, build)
    image, latest, cache = image_names(session, build, settings.registry, utcnow())
    _log(services, build.id, headers.creating(str(image)), headers.PROCESSING)
    try:
        recipe = load_recipe(text, filename)
    except RecipeError as err:
        raise _rejected(err) from None
    client = services.registry_for(team.slug)
    base_ref = base_reference(recipe.image, settings)
    try:
        base, launcher = pin_both(client, base_ref, settings.dzlaunch_image)
    except NotFound as err:
        located = recipe.image and recipe.source
        line = recipe.source.line_range(("image",))[0] if located else None
        raise CompileRejected(f"image not found in the registry: {err}", line) from None
    except RegistryError as err:
        if err.temporary:
            raise
        raise CompileRejected(f"cannot resolve the base images: {err}") from None
    names = team_names(session, team.id)
    inputs = CompileInputs(base_image=base, dzlaunch_image=launcher,
                           network_mode=settings.network_mode, team=names,
                           team_namespace=team.slug)
    try:
        result = compile_recipe(recipe, inputs)
    except RecipeError as err:
        raise _rejected(err) from None
    used = used_names(result.secret_ids, result.derived_secrets)
    versions = {ref.partition(".")[2]: names.secrets[ref.partition(".")[2]]
                for ref in sorted(used)
                if ref.startswith("team.") and ref.partition(".")[2] in names.secrets}
    pinned = {"base_image": base, "dzlaunch_image": launcher, "env": env_digest(names),
              "secrets": versions, "network_mode": settings.network_mode}
    plan = BuildPlan.from_compile(result, image=str(image), latest=str(latest),
                                  cache=str(cache), secret_versions=versions)
    return result, pinned, plan


def _refuse_deleted_recipe(session: Session, build: Build) -> None:
    """The API refuses builds of deleted recipes; one deleted after the build was
    queued fails here, with the reason, before its freed name is used as an image name."""
    if build.recipe_version_id is None:
        return
    version = session.get(RecipeVersion, build.recipe_version_id)
    recipe = session.get(Recipe, version.recipe_id) if version is not None else None
    if recipe is None or recipe.deleted_at is not None:
        raise CompileRejected("the recipe was deleted after this build was requested; "
                              "nothing was built")


def _rejected(err: RecipeError) -> CompileRejected:
    first = err.errors[0] if err.errors else (err.diagnostics[0] if err.diagnostics else None)
    if first is None:
        return CompileRejected(str(err))
    return CompileRejected(f"recipe line {first.line}: {first.path}: {first.message}",
                           first.line, err.render())


def _fail(services: Services, session: Session, build_id: str, rejected: CompileRejected) -> None:
    if states.transition(session, build_id, S.COMPILING, S.FAILED,
                         error_message=str(rejected), error_line=rejected.line):
        session.commit()
        lines = tuple(rejected.detail.splitlines()) if rejected.detail else ()
        finish_build(services, session, build_id, lines)
        session.commit()


def _store(services: Services, session: Session, build: Build, result: CompileResult,
           pinned: dict, plan: BuildPlan) -> bool:
    digest = "sha256:" + hashlib.sha256(result.definition).hexdigest()
    ident = dedupe.identity(build.team_id, digest, pinned)
    build.definition = result.definition
    build.definition_digest = digest
    build.pinned_inputs = {**pinned, "compiled": plan.to_json(), "dedupe": ident}
    session.commit()
    for warning in plan.warnings:
        _log(services, build.id, f"warning: {warning}")
    leader_id = dedupe.claim(services.redis, ident, build.id)
    if leader_id is None:
        return True
    leader = session.get(Build, leader_id)
    if leader is None or leader.state.terminal:
        # The leader is gone: take over its identity and build for real.
        dedupe.replace_leader(services.redis, ident, leader_id, build.id)
        return True
    build.joined_build_id = leader_id
    session.commit()
    services.control.release(build.team_id, build.id)
    _log(services, build.id, headers.joined(leader_id))
    session.refresh(leader)
    if dedupe.adopt_outcome(session, build.id, leader):
        session.commit()
        finish_build(services, session, build.id)
        session.commit()
    return False
