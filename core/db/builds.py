"""Builds and their per-step results.

A build row exists before any task is queued; tasks take its id.  Its ``state``
only moves through :mod:`core.states`, which writes the matching ``*_at`` time.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import ids
from core.db.base import Base, utcnow


class BuildState(enum.StrEnum):
    """Where a build is; the last four are terminal."""

    QUEUED = "queued"
    COMPILING = "compiling"
    BUILDING = "building"
    PUSHING = "pushing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {BuildState.SUCCEEDED, BuildState.FAILED, BuildState.CANCELLED, BuildState.TIMED_OUT}
)


class Build(Base):
    """One run of a recipe version (or of one-off YAML) for a team."""

    __tablename__ = "builds"
    __table_args__ = (
        CheckConstraint("recipe_version_id IS NOT NULL OR recipe_yaml IS NOT NULL",
                        name="has_recipe"),
        Index("ix_builds_team_state", "team_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(48), primary_key=True,
                                    default=lambda: ids.new_id(ids.BUILD))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    recipe_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("recipe_versions.id", ondelete="SET NULL"), index=True
    )
    # One-off builds (raw YAML through the API) carry their text here instead.
    recipe_yaml: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[BuildState] = mapped_column(
        Enum(BuildState, native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=BuildState.QUEUED,
    )

    # One timestamp per state entered; terminal states share finished_at.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    compiling_at: Mapped[datetime | None]
    building_at: Mapped[datetime | None]
    pushing_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    # Execution: which worker holds it, how often it was (re)started, liveness.
    worker: Mapped[str | None] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime | None]
    timeout_s: Mapped[int | None]
    cancel_requested: Mapped[bool] = mapped_column(default=False)

    # Queue information: the Celery task ids and queue the build went to.
    queue: Mapped[str | None] = mapped_column(String(64))
    compile_task_id: Mapped[str | None] = mapped_column(String(64))
    build_task_id: Mapped[str | None] = mapped_column(String(64))

    # Compile output: the marshalled Definition, its digest and the pinned inputs
    # (image digests, env values' hash, secret names → versions; never secret values).
    definition: Mapped[bytes | None] = mapped_column(LargeBinary)
    definition_digest: Mapped[str | None] = mapped_column(String(80), index=True)
    pinned_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Dedupe: an identical in-flight build this one joined instead of solving twice.
    joined_build_id: Mapped[str | None] = mapped_column(
        ForeignKey("builds.id", ondelete="SET NULL")
    )

    # Results.
    image_ref: Mapped[str | None] = mapped_column(String(512))
    image_digest: Mapped[str | None] = mapped_column(String(80))
    cache_ref: Mapped[str | None] = mapped_column(String(512))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_step_id: Mapped[str | None] = mapped_column(String(64))
    error_line: Mapped[int | None]

    steps: Mapped[list[BuildStep]] = relationship(
        back_populates="build", cascade="all, delete-orphan", order_by="BuildStep.position"
    )


class BuildStep(Base):
    """The result of one solved vertex, in the order BuildKit first reported it."""

    __tablename__ = "build_steps"
    __table_args__ = (UniqueConstraint("build_id", "vertex_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[str] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"))
    position: Mapped[int]
    vertex_digest: Mapped[str] = mapped_column(String(80))
    # The recipe step id (``1-build-step-3``); NULL for internal vertices (image pulls).
    step_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text, default="")
    cached: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    duration_s: Mapped[float | None]
    exit_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)

    build: Mapped[Build] = relationship(back_populates="steps")
