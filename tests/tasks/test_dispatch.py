"""The pipeline's stages are found by the stage each task declares, not by a spelled name."""

from __future__ import annotations

import pytest

from tasks.build import build_image
from tasks.celery_app import make_celery
from tasks.compile import compile_build
from tasks.dispatch import CeleryDispatch, queue_for, stage_task_name


def test_stage_tasks_are_found_by_their_declared_stage():
    app = make_celery("dispatch-test")
    assert stage_task_name(app, "compile") == compile_build.name
    assert stage_task_name(app, "build") == build_image.name
    with pytest.raises(LookupError):
        stage_task_name(app, "no-such-stage")


def test_the_build_queue_follows_the_routes_of_the_app():
    app = make_celery("dispatch-test")
    assert CeleryDispatch(app).build_queue() == "buildqd"  # celeryconfig's route
    app.conf.task_routes = {"tasks.build.*": {"queue": "elsewhere"}}
    assert CeleryDispatch(app).build_queue() == "elsewhere"
    assert queue_for(app, stage_task_name(app, "compile")) == app.conf.task_default_queue
