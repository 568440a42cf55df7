"""The build stage: solve the stored Definition on BuildKit, push, record, finish.

Called by ``tasks.build.build_image`` with a build id.  Takes a team slot (or asks
the task to come back), serves only this build's secrets through the session,
streams progress to the log bus, watches the cancel flag and the deadline while
the solve runs, and ends the build in exactly one terminal state.  Transient
faults (daemon unreachable, registry 5xx) come back as a retry outcome; a failing
user step never does.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import update

from buildkit.progress import Event
from core import states
from core.db import Build, BuildState, Team, utcnow
from core.logevents import HEADER, Entry
from core.secretstore import SecretStoreError
from pipeline import headers
from pipeline.buildplan import BuildPlan
from pipeline.control import ALIVE_TTL_S, Heartbeat
from pipeline.failure import OutputTail, step_failure
from pipeline.finalize import finish_build
from pipeline.logwriter import LogWriter
from pipeline.pushstep import PushStep
from pipeline.secrets import SecretUnavailable, fetch
from pipeline.services import Services
from pipeline.solving import (
    SolveKind,
    SolveOutcome,
    cache_sources,
    new_bytes,
    run_solve,
    solve_options,
    source_images,
    tag_latest,
)
from pipeline.sourcelayers import link_source_layers
from pipeline.steps import StepRecorder, end_running_steps

log = logging.getLogger(__name__)
S = BuildState


class Next(StrEnum):
    """What the task does after the stage (string-valued: the task returns it)."""

    DONE = "done"
    WAIT = "wait"  # for a team slot, the compile stage or another worker: no retry used
    RETRY = "retry"  # after a transient fault: counts against the retries


@dataclass(frozen=True)
class Outcome:
    """What the task should do next, after how long, and why."""

    action: Next
    delay: float = 0.0
    reason: str = ""


DONE = Outcome(Next.DONE)


def build_image(services: Services, build_id: str, worker: str, *, retries: int = 0,
                max_retries: int = 3, announce_wait: bool = True) -> Outcome:
    """Solve one compiled build (see the module docstring)."""
    with services.sessions() as session:
        build = session.get(Build, build_id)
        if build is None or build.state.terminal or build.joined_build_id:
            return DONE
        if build.state is S.QUEUED:
            return Outcome(Next.WAIT, 1.0, "not compiled yet")
        held_elsewhere = (build.state in (S.BUILDING, S.PUSHING) and build.worker != worker
                          and services.control.is_alive(build_id))
        if held_elsewhere:
            # Another process holds it, or one that just died (its heartbeat key has
            # not expired yet): look again after that key's lifetime.
            return Outcome(Next.WAIT, ALIVE_TTL_S, "held by another worker")
        team = session.get(Team, build.team_id)
        if not services.control.try_acquire(team.id, build_id, team.concurrency_limit):
            if announce_wait:
                position = services.control.queue_position(team.id, build_id) or 1
                services.bus.append(build_id, [Entry(HEADER, headers.waiting(position))])
            return Outcome(Next.WAIT, 0.5, "team at its concurrency limit")
        resume = build.state in (S.BUILDING, S.PUSHING)
        moved = (_resume(session, build_id, worker) if resume else
                 states.transition(session, build_id, S.COMPILING, S.BUILDING, worker=worker,
                                   attempt=Build.attempt + 1, heartbeat_at=utcnow()))
        session.commit()
        if not moved:
            finish_build(services, session, build_id)
            session.commit()
            return DONE
        session.refresh(build)
        if resume:
            services.bus.append(build_id, [Entry(HEADER, headers.resumed(worker, build.attempt))])
        outcome = _solve_and_record(services, session, build, team, retries, max_retries)
        # In the transaction that ends the build, so no reader sees it ended with a
        # step still running (finish_build does it for the other ways a build ends).
        ended = session.get(Build, build_id)
        if ended is not None:
            end_running_steps(ended)
        session.commit()
        finish_build(services, session, build_id)
        session.commit()
        return outcome


def _resume(session, build_id: str, worker: str) -> bool:
    result = session.execute(update(Build).where(
        Build.id == build_id, Build.state.in_([S.BUILDING, S.PUSHING])).values(
        worker=worker, attempt=Build.attempt + 1, heartbeat_at=utcnow()))
    return result.rowcount == 1


def _beat(services: Services, build_id: str) -> None:
    services.control.beat(build_id)
    with services.sessions() as session:
        session.execute(update(Build).where(Build.id == build_id).values(heartbeat_at=utcnow()))
        session.commit()


def _solve_and_record(services, session, build: Build, team: Team, retries: int,
                      max_retries: int) -> Outcome:
    plan = BuildPlan.of_build(build.pinned_inputs)
    timeout_s = build.timeout_s or team.build_timeout_s or services.settings.build_timeout_s
    deadline = (build.building_at or utcnow()) + timedelta(seconds=timeout_s)
    recorder = StepRecorder(plan.step_ids())
    tail = OutputTail()
    pushing = _PushingMark(services, build.id)
    with Heartbeat(lambda: _beat(services, build.id)), \
            LogWriter(services.bus, build.id) as writer:
        imports = cache_sources(services, team.slug, plan)
        for ref in imports:
            writer.header(headers.importing_cache(ref))
        writer.header(headers.FETCHING_SECRETS)
        try:
            # This build's view of the store acts with its team's credential only: a
            # bug that named another team would be refused by Vault itself.
            secrets = fetch(services.secret_store.for_team(team.id), team.id,
                            plan.secret_ids, plan.derived_secrets, plan.secret_versions)
        except (SecretUnavailable, SecretStoreError) as err:
            writer.close()
            states.finish(session, build.id, S.FAILED, error_message=str(err))
            return DONE
        writer.redactions = secrets.redactions()
        writer.header(headers.secrets_fetched(len(secrets)), headers.DELEGATED)

        push = PushStep(plan.image)

        def record(event: Event) -> None:
            writer.event(event)
            recorder.feed(event)
            tail.feed(event)

        def on_event(event: Event) -> None:
            record(event)
            for made in push.feed(event):
                record(made)
            pushing.see(push)

        options = solve_options(services, team.slug, plan, imports, secrets)
        sources = source_images(build.pinned_inputs)
        # Beside the solve, so the solve does not start later: the push comes seconds on.
        linking = threading.Thread(
            target=link_source_layers, name="rb-link-layers", daemon=True,
            args=(services.registry_for(team.slug), plan.image, sources))
        linking.start()
        result: SolveOutcome = run_solve(services, build.id, build.definition, options,
                                         on_event, deadline)
        linking.join()
        for made in _push_ended(services, team.slug, plan, sources, push, result):
            record(made)
        result = _explained(result, plan, tail, writer.redactions)
    recorder.write(session, build.id)
    return _record(services, session, build, team, plan, result, recorder, retries,
                   max_retries)


def _push_ended(services, team_slug: str, plan: BuildPlan, sources: list[str],
                push: PushStep, result: SolveOutcome) -> list[Event]:
    """The push step's last events: its bytes and done, or failed with the solve."""
    if not push.started:
        return []
    if result.kind is SolveKind.SUCCEEDED:
        return push.finish(new_bytes(services, team_slug, plan.image, result.digest, sources))
    if result.kind in (SolveKind.CANCELLED, SolveKind.TIMED_OUT):
        return []  # a step still running when the build ends is ended with it
    return push.fail(result.message)


def _explained(result: SolveOutcome, plan: BuildPlan, tail: OutputTail,
               redactions: list[bytes]) -> SolveOutcome:
    """A step failure told by the plan's step and the step's last output lines."""
    if result.kind is not SolveKind.FAILED or not result.vertex:
        return result
    step_id = result.step_id or plan.step_of(result.vertex, result.vertex_name)
    step = plan.step_info(step_id)
    line = result.line or (step.lines[0] if step and step.lines[0] else None)
    message = step_failure(step, result.vertex_name, line, result.exit_code, result.reason,
                           tail.lines(result.vertex, redactions))
    return replace(result, message=message, step_id=step_id, line=line)


def _record(services, session, build, team, plan: BuildPlan, result: SolveOutcome, recorder,
            retries: int, max_retries: int) -> Outcome:
    bid = build.id
    if result.kind is SolveKind.SUCCEEDED:
        tag_latest(services, team.slug, plan, result.digest)
        states.transition(session, bid, S.BUILDING, S.PUSHING)
        states.transition(session, bid, S.PUSHING, S.SUCCEEDED, image_ref=plan.image,
                          image_digest=result.digest, cache_ref=plan.cache)
        return DONE
    if result.kind is SolveKind.CANCELLED:
        states.finish(session, bid, S.CANCELLED, cancel_requested=True)
        return DONE
    if result.kind is SolveKind.TIMED_OUT:
        states.finish(session, bid, S.TIMED_OUT,
                      error_message=f"the build ran longer than its {build.timeout_s}s limit")
        return DONE
    if result.kind is SolveKind.TRANSIENT and retries < max_retries:
        delay = float(2 ** retries)
        services.bus.append(bid, [Entry(HEADER, headers.transient(
            result.message, delay, retries + 1, max_retries))])
        services.control.release(team.id, bid)
        services.control.enqueue(team.id, bid, build.queued_at.timestamp())
        return Outcome(Next.RETRY, delay, result.message)
    step_id = result.step_id or plan.step_of(result.vertex, result.vertex_name)
    states.finish(session, bid, S.FAILED, error_message=result.message,
                  error_step_id=step_id, error_line=result.line)
    return DONE


class _PushingMark:
    """Moves the build to ``pushing`` when its push step starts (once)."""

    def __init__(self, services: Services, build_id: str) -> None:
        self.services, self.build_id, self.done = services, build_id, False

    def see(self, push: PushStep) -> None:
        if not self.done and push.started:
            self.done = True
            with self.services.sessions() as session:
                states.transition(session, self.build_id, S.BUILDING, S.PUSHING)
                session.commit()
