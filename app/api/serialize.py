"""Records → JSON dicts.  Pure functions; the only place response shapes are made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db import Build, BuildStep, EnvVar, Recipe, RecipeVersion, SecretName, Team


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def recipe(row: Recipe, latest: RecipeVersion | None) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created_at": iso(row.created_at),
            "latest_version": version(latest, with_yaml=False) if latest else None}


def build_summary(row: Build | None) -> dict[str, Any] | None:
    """What a list shows of a build: its state, when, and its image."""
    if row is None:
        return None
    return {"id": row.id, "state": row.state.value, "queued_at": iso(row.queued_at),
            "finished_at": iso(row.finished_at), "image_ref": row.image_ref}


def version(row: RecipeVersion, with_yaml: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"id": row.id, "recipe_id": row.recipe_id, "number": row.number,
                            "author_id": row.author_id, "created_at": iso(row.created_at)}
    if with_yaml:
        data["yaml"] = row.yaml_text
    return data


def step(row: BuildStep) -> dict[str, Any]:
    # "cancelled" is pipeline.steps.STEP_CANCELLED (not imported: app/ must not reach
    # buildkit/ through pipeline.steps): the step was running when its build was cancelled.
    if row.error == "cancelled":
        status = "cancelled"
    elif row.error or (row.exit_status not in (None, 0)):
        status = "failed"
    elif row.cached:
        status = "cached"
    elif row.completed_at is not None:
        status = "done"
    elif row.started_at is not None:
        status = "running"
    else:
        status = "waiting"
    return {"position": row.position, "step_id": row.step_id, "name": row.name,
            "vertex": row.vertex_digest, "status": status, "cached": row.cached,
            "started_at": iso(row.started_at), "completed_at": iso(row.completed_at),
            "duration_s": row.duration_s, "exit_status": row.exit_status, "error": row.error}


def elapsed_s(row: Build, now: datetime) -> float:
    """Seconds from queueing to the end (or to ``now`` while it runs)."""
    end = row.finished_at or now
    return max(0.0, (end - row.queued_at).total_seconds())


def build(row: Build, now: datetime, *, recipe_id: str | None = None,
          with_steps: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id, "state": row.state.value, "terminal": row.state.terminal,
        "recipe_id": recipe_id, "recipe_version_id": row.recipe_version_id,
        "one_off": row.recipe_version_id is None,
        "requested_by": row.requested_by, "cancel_requested": row.cancel_requested,
        "queued_at": iso(row.queued_at), "compiling_at": iso(row.compiling_at),
        "building_at": iso(row.building_at), "pushing_at": iso(row.pushing_at),
        "finished_at": iso(row.finished_at), "elapsed_s": round(elapsed_s(row, now), 3),
        "image_ref": row.image_ref, "image_digest": row.image_digest,
        "definition_digest": row.definition_digest,
        # Deduplicated: the identical build whose outcome this one takes.
        "joined_build_id": row.joined_build_id,
        "error": None if row.error_message is None else {
            "message": row.error_message, "step_id": row.error_step_id, "line": row.error_line},
    }
    if with_steps:
        data["steps"] = [step(s) for s in row.steps]
    return data


def env_var(row: EnvVar) -> dict[str, Any]:
    return {"name": row.name, "value": row.value, "updated_at": iso(row.updated_at)}


def secret(row: SecretName) -> dict[str, Any]:
    """A secret's name and versions; never its value."""
    return {"name": row.name, "version": row.current_version,
            "versions": [v.version for v in row.versions],
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def team(row: Team) -> dict[str, Any]:
    return {"id": row.id, "slug": row.slug, "name": row.name,
            "build_timeout_s": row.build_timeout_s, "concurrency_limit": row.concurrency_limit}
