"""The pipeline on PostgreSQL: workers and the API side share a real database schema."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from core.db import BuildState, make_engine
from tests.conftest import need, tcp_open
from tests.tasks.harness import busybox_recipe, ensure_dzlaunch_image, make_pipeline

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def pg_pipeline(settings, redis_url, docker_socket, tmp_path_factory):
    need(tcp_open("127.0.0.1", 5432), "PostgreSQL is not answering on 127.0.0.1:5432")
    ensure_dzlaunch_image(settings)
    schema = f"rb_pipeline_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    pipe = make_pipeline(settings, tmp_path_factory.mktemp("pg-pipeline"), database_url=url)
    pipe.start_worker("compile")
    pipe.start_worker("buildqd")
    try:
        yield pipe
    finally:
        pipe.stop()
        pipe.services.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_build_succeeds_with_records_in_postgresql(pg_pipeline):
    token = uuid.uuid4().hex[:8]
    build_id = pg_pipeline.submit(pg_pipeline.team(),
                                  busybox_recipe(pg_pipeline.settings, f"echo pg-{token}"))
    build = pg_pipeline.wait(build_id)

    assert build.state is BuildState.SUCCEEDED, build.error_message
    with pg_pipeline.services.engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar().startswith("rb_pipeline_")
        rows = conn.execute(text("SELECT step_id, exit_status FROM build_steps "
                                 "WHERE build_id = :b AND step_id IS NOT NULL"),
                            {"b": build_id}).all()
    assert rows == [("1-build-step-0", 0)]
    assert f"pg-{token}" in pg_pipeline.log_text(build_id)
