"""Recipes and their immutable versions.

Editing a recipe adds a version; a version row is never changed afterwards (an ORM
guard below refuses it), so a build always refers to exactly the text it built.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Select, String, Text, UniqueConstraint, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import ids
from core.db.base import Base, utcnow
from core.db.builds import Build


class ImmutableRecordError(Exception):
    """Raised when code tries to change a record that is immutable once written."""


class Recipe(Base):
    """A team's named recipe; its content is in :class:`RecipeVersion` rows."""

    __tablename__ = "recipes"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[str] = mapped_column(String(48), primary_key=True,
                                    default=lambda: ids.new_id(ids.RECIPE))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Soft delete: builds keep pointing at the versions they built.
    deleted_at: Mapped[datetime | None]

    versions: Mapped[list[RecipeVersion]] = relationship(
        back_populates="recipe", order_by="RecipeVersion.number"
    )


class RecipeVersion(Base):
    """The YAML text of a recipe at one point in time; numbered 1, 2, … per recipe."""

    __tablename__ = "recipe_versions"
    __table_args__ = (UniqueConstraint("recipe_id", "number"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True,
                                    default=lambda: ids.new_id(ids.RECIPE_VERSION))
    recipe_id: Mapped[str] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    number: Mapped[int]
    yaml_text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recipe: Mapped[Recipe] = relationship(back_populates="versions")


@event.listens_for(RecipeVersion, "before_update")
def _refuse_version_update(mapper: object, connection: object, target: RecipeVersion) -> None:
    raise ImmutableRecordError(f"recipe version {target.id} is immutable; add a new version")


def add_version(session: Session, recipe: Recipe, yaml_text: str,
                author_id: str | None = None) -> RecipeVersion:
    """Append a new version to ``recipe`` (numbered after the highest existing one).

    Two writers racing for the same number hit the ``(recipe_id, number)`` unique
    constraint at flush; the loser gets ``IntegrityError`` and may retry.
    """
    highest = session.scalar(
        select(func.max(RecipeVersion.number)).where(RecipeVersion.recipe_id == recipe.id)
    )
    version = RecipeVersion(recipe_id=recipe.id, number=(highest or 0) + 1,
                            yaml_text=yaml_text, author_id=author_id)
    session.add(version)
    session.flush()
    return version


def latest_version(session: Session, recipe_id: str) -> RecipeVersion | None:
    """The newest version of a recipe, or ``None`` when it has none."""
    return session.scalar(
        select(RecipeVersion).where(RecipeVersion.recipe_id == recipe_id)
        .order_by(RecipeVersion.number.desc()).limit(1)
    )


def builds_of(recipe_id: str) -> Select:
    """The builds of every version of a recipe, as a query to narrow and order."""
    return select(Build).join(RecipeVersion, Build.recipe_version_id == RecipeVersion.id).where(
        RecipeVersion.recipe_id == recipe_id)


def last_build(session: Session, recipe_id: str) -> Build | None:
    """The recipe's most recently requested build, whatever its state."""
    return session.scalar(builds_of(recipe_id).order_by(Build.queued_at.desc(), Build.id.desc())
                          .limit(1))
