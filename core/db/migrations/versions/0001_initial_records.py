"""initial records

Revision ID: 0001
Revises:
Create Date: 2026-11-29 19:37:42.138816
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("build_timeout_s", sa.Integer(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("slug", name=op.f("uq_teams_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("team_id", sa.String(length=48), nullable=False),
        sa.Column("user_id", sa.String(length=48), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("display_prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_api_tokens_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_team_id"), ["team_id"], unique=False)

    op.create_table(
        "env_vars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_env_vars_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_vars")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_env_vars_team_id_name")),
    )
    op.create_table(
        "memberships",
        sa.Column("team_id", sa.String(length=48), nullable=False),
        sa.Column("user_id", sa.String(length=48), nullable=False),
        sa.Column(
            "role",
            sa.Enum("owner", "member", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_memberships_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_table(
        "recipes",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("team_id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_recipes_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipes")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_recipes_team_id_name")),
    )
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipes_team_id"), ["team_id"], unique=False)

    op.create_table(
        "secret_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_secret_names_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_names")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_secret_names_team_id_name")),
    )
    op.create_table(
        "recipe_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("recipe_id", sa.String(length=48), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(length=48), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_recipe_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_versions_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_versions")),
        sa.UniqueConstraint(
            "recipe_id", "number", name=op.f("uq_recipe_versions_recipe_id_number")
        ),
    )
    op.create_table(
        "secret_versions",
        sa.Column("secret_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_secret_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["secret_id"],
            ["secret_names.id"],
            name=op.f("fk_secret_versions_secret_id_secret_names"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("secret_id", "version", name=op.f("pk_secret_versions")),
    )
    op.create_table(
        "builds",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("team_id", sa.String(length=48), nullable=False),
        sa.Column("recipe_version_id", sa.String(length=64), nullable=True),
        sa.Column("recipe_yaml", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=48), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "compiling",
                "building",
                "pushing",
                "succeeded",
                "failed",
                "cancelled",
                "timed_out",
                name="buildstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("compiling_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("building_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pushing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timeout_s", sa.Integer(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("compile_task_id", sa.String(length=64), nullable=True),
        sa.Column("build_task_id", sa.String(length=64), nullable=True),
        sa.Column("definition", sa.LargeBinary(), nullable=True),
        sa.Column("definition_digest", sa.String(length=80), nullable=True),
        sa.Column("pinned_inputs", sa.JSON(), nullable=True),
        sa.Column("joined_build_id", sa.String(length=48), nullable=True),
        sa.Column("image_ref", sa.String(length=512), nullable=True),
        sa.Column("image_digest", sa.String(length=80), nullable=True),
        sa.Column("cache_ref", sa.String(length=512), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_step_id", sa.String(length=64), nullable=True),
        sa.Column("error_line", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "recipe_version_id IS NOT NULL OR recipe_yaml IS NOT NULL",
            name=op.f("ck_builds_has_recipe"),
        ),
        sa.ForeignKeyConstraint(
            ["joined_build_id"],
            ["builds.id"],
            name=op.f("fk_builds_joined_build_id_builds"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_version_id"],
            ["recipe_versions.id"],
            name=op.f("fk_builds_recipe_version_id_recipe_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_builds_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_builds_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_builds")),
    )
    with op.batch_alter_table("builds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_builds_definition_digest"), ["definition_digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_builds_recipe_version_id"), ["recipe_version_id"], unique=False
        )
        batch_op.create_index("ix_builds_team_state", ["team_id", "state"], unique=False)

    op.create_table(
        "build_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("build_id", sa.String(length=48), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vertex_digest", sa.String(length=80), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("exit_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["build_id"],
            ["builds.id"],
            name=op.f("fk_build_steps_build_id_builds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_build_steps")),
        sa.UniqueConstraint(
            "build_id", "vertex_digest", name=op.f("uq_build_steps_build_id_vertex_digest")
        ),
    )


def downgrade() -> None:
    op.drop_table("build_steps")
    with op.batch_alter_table("builds", schema=None) as batch_op:
        batch_op.drop_index("ix_builds_team_state")
        batch_op.drop_index(batch_op.f("ix_builds_recipe_version_id"))
        batch_op.drop_index(batch_op.f("ix_builds_definition_digest"))

    op.drop_table("builds")
    op.drop_table("secret_versions")
    op.drop_table("recipe_versions")
    op.drop_table("secret_names")
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipes_team_id"))

    op.drop_table("recipes")
    op.drop_table("memberships")
    op.drop_table("env_vars")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_team_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("teams")
