"""Records: SQLAlchemy 2 models, the engine/session factory and Alembic migrations.

Import models from here; every model module is imported so ``Base.metadata`` is whole.
"""

from core.db.base import Base, utcnow
from core.db.builds import TERMINAL_STATES, Build, BuildState, BuildStep
from core.db.recipes import ImmutableRecordError, Recipe, RecipeVersion, add_version
from core.db.session import make_engine, make_session_factory
from core.db.teams import (
    ApiToken,
    EnvVar,
    Membership,
    Role,
    SecretName,
    SecretVersion,
    Team,
    User,
)

__all__ = [
    "ApiToken", "Base", "Build", "BuildState", "BuildStep", "EnvVar", "ImmutableRecordError",
    "Membership", "Recipe", "RecipeVersion", "Role", "SecretName", "SecretVersion",
    "TERMINAL_STATES", "Team", "User", "add_version", "make_engine", "make_session_factory",
    "utcnow",
]
