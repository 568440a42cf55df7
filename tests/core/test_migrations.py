"""The Alembic history builds exactly the schema the models describe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from core.config import REPO_ROOT
from core.db import Base
from core.db.migrate import alembic_config, downgrade, upgrade
from tests.core.conftest import POSTGRES_URL


def _diff(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_to_head_matches_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert _diff(empty_engine) == []
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with empty_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_downgrade_to_base_empties_the_database(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}


def _alembic_cli(database_url: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    alembic = Path(sys.executable).with_name("alembic")
    env = {**os.environ, "RB_DATABASE_URL": database_url, **env_extra}
    return subprocess.run(
        [str(alembic), "-c", str(REPO_ROOT / "core/db/alembic.ini"), "upgrade", "head"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_alembic_cli_upgrades_sqlite(tmp_path: Path, sqlite_engine: Engine) -> None:
    result = _alembic_cli(str(sqlite_engine.url), {})
    assert result.returncode == 0, result.stderr
    assert _diff(sqlite_engine) == []


def test_alembic_cli_upgrades_postgresql(pg_schema_engine: Engine) -> None:
    with pg_schema_engine.connect() as conn:
        current_schema = conn.exec_driver_sql("select current_schema()").scalar_one()
    # libpq reads PGOPTIONS, so the CLI's engine lands in the test's private schema.
    result = _alembic_cli(POSTGRES_URL, {"PGOPTIONS": f"-csearch_path={current_schema}"})
    assert result.returncode == 0, result.stderr
    assert _diff(pg_schema_engine) == []
    assert "builds" in inspect(pg_schema_engine).get_table_names()
