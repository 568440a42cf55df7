"""What happens once a build reached a terminal state (whoever put it there).

Steps still recorded as running end with the build; the log gets its closing lines
and END event and is archived; the team slot and the dedupe leadership are released;
followers that joined the build adopt its outcome.  Every part tolerates having been
done already, so the worker, a cancel and the reaper may all call it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from core.db import Build
from core.logbus import LogClosed, LogNotEnded
from core.logevents import HEADER, Entry
from pipeline import dedupe, headers
from pipeline.services import Services
from pipeline.steps import end_running_steps

log = logging.getLogger(__name__)


def close_log(services: Services, build_id: str, final_state: str, lines: tuple[str, ...] = ()
              ) -> bool:
    """Append closing header lines and the END event, then archive; False if already ended."""
    bus = services.bus
    try:
        bus.append(build_id, [Entry(HEADER, line) for line in lines])
        bus.end(build_id, final_state)
    except LogClosed:
        return False
    try:
        bus.archive(build_id)
    except LogNotEnded:  # expired between end and archive; nothing left to keep
        log.warning("log of %s vanished before archiving", build_id)
    return True


def closing_lines(build: Build) -> tuple[str, ...]:
    """The header lines that end a log, chosen by the final state."""
    state = build.state.value
    if state == "succeeded":
        return (headers.COMPLETED, headers.SUCCEEDED)
    if state == "cancelled":
        return (headers.cancelled(),)
    if state == "timed_out":
        return (headers.timed_out(build.timeout_s or 0),)
    code = 1
    if build.error_message:
        lines = (f"Error: {build.error_message}",)
    else:
        lines = ()
    for step in build.steps:
        if step.exit_status:
            code = step.exit_status
    return lines + (headers.failed(code),)


def finish_build(services: Services, session: Session, build_id: str,
                 extra_lines: tuple[str, ...] = ()) -> None:
    """Run every after-end duty for a terminal build (idempotent)."""
    build = session.get(Build, build_id)
    if build is None or not build.state.terminal:
        return
    end_running_steps(build)
    session.flush()
    services.control.release(build.team_id, build_id)
    ident = (build.pinned_inputs or {}).get("dedupe")
    if ident:
        dedupe.release(services.redis, ident, build_id)
    close_log(services, build_id, build.state.value, extra_lines + closing_lines(build))
    for follower_id in dedupe.live_followers(session, build_id):
        if dedupe.adopt_outcome(session, follower_id, build):
            session.commit()
            finish_build(services, session, follower_id)


def fail_build(services: Services, build_id: str, message: str) -> bool:
    """End a live build as failed with ``message`` (an unexpected error); False if it ended."""
    from core import states
    from core.db import BuildState

    with services.sessions() as session:
        if not states.finish(session, build_id, BuildState.FAILED, error_message=message):
            return False
        session.commit()
        finish_build(services, session, build_id)
        session.commit()
        return True
