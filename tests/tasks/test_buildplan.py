"""The typed hand-over between the stages, and the after-commit send of a new build."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import buildkit
import llb
from llb.compiler.image_config import ImageConfig, image_config
from llb.plan import HELPER_SUFFIX
from pipeline.building import Next
from pipeline.buildplan import BuildPlan
from pipeline.solving import SolveKind
from pipeline.submit import after_commit

RECIPE = ('version: "3"\nbuild:\n  steps:\n    - type: command\n      shell: /bin/sh {}\n'
          "      command: echo hi\n")


@pytest.fixture(scope="module")
def result() -> llb.CompileResult:
    return llb.compile_recipe(llb.load_recipe(RECIPE, "plan.yaml"), llb.CompileInputs(
        base_image="127.0.0.1:5000/library/busybox@sha256:" + "a" * 64,
        dzlaunch_image="127.0.0.1:5000/library/dzlaunch@sha256:" + "b" * 64))


def plan_of(result: llb.CompileResult) -> BuildPlan:
    return BuildPlan.from_compile(result, image="r/t/app:1", latest="r/t/app:latest",
                                  cache="r/t/app:cache", secret_versions={"K": "2.abc"})


def test_a_plan_survives_the_json_of_the_build_row(result):
    plan = plan_of(result)
    stored = json.loads(json.dumps(plan.to_json()))
    assert BuildPlan.from_json(stored) == plan
    assert stored["image_config"] == result.image_config  # the compiler's OCI form, as before


def test_a_row_stored_before_the_plan_type_still_reads(result):
    plan = plan_of(result)
    old = {k: v for k, v in plan.to_json().items() if k != "secret_versions"}
    read = BuildPlan.of_build({"compiled": old, "secrets": {"K": "2.abc"}})
    assert read == plan


def test_the_step_map_names_the_step_of_a_failed_vertex(result):
    plan = plan_of(result)
    build = next(s for s in plan.steps if s.digest)
    assert plan.step_ids()[build.digest] == build.id
    assert plan.step_of(build.digest) == build.id
    assert plan.step_of("") is None and plan.step_of("sha256:nope") is None


def test_a_failed_helper_op_is_its_steps_failure(result):
    # A clone's fetch is an op of its own, named after its step: its failure (an
    # unreachable host) must name the step, not leave the build without one.
    plan = plan_of(result)
    build = next(s for s in plan.steps if s.digest)
    assert plan.step_of("sha256:fetch", f"{build.name}{HELPER_SUFFIX}") == build.id
    assert plan.step_of("sha256:fetch", "some other op (fetch)") is None
    assert plan.step_of("sha256:fetch", build.name) is None  # not a helper: no guess


def test_one_image_config_type_from_compiler_to_gateway():
    assert buildkit.ImageConfig is ImageConfig
    config = ImageConfig.from_oci(image_config())
    assert config.to_oci() == image_config()
    assert json.loads(config.to_json("linux", "arm64"))["config"] == image_config()
    # An empty Entrypoint reads as unset, as the build stage always treated it.
    assert ImageConfig.from_oci({"Entrypoint": []}).entrypoint is None


def test_outcomes_are_enums_with_the_strings_they_replace():
    assert Next.DONE == "done" and isinstance(Next.WAIT, Next)
    assert {k.value for k in SolveKind} == {"succeeded", "failed", "cancelled", "timed_out",
                                            "transient"}


def test_an_after_commit_action_runs_on_commit_only():
    ran: list[str] = []
    with Session(create_engine("sqlite://")) as session:
        session.execute(text("select 1"))
        after_commit(session, lambda: ran.append("rolled back"))
        session.rollback()
        session.execute(text("select 1"))
        after_commit(session, lambda: ran.append("committed"))
        assert ran == []
        session.commit()
        session.execute(text("select 1"))
        session.commit()
    assert ran == ["committed"]
