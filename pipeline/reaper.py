"""The reaper: ends builds whose worker vanished and tidies logs nobody closed.

A worker refreshes ``heartbeat_at`` (and a short-lived Redis key) every couple of
seconds while it holds a build.  When both went quiet for ``stale_after_s`` the
worker is gone (killed, machine lost) and the build fails with that reason, unless
redelivery already gave it to another worker (whose heartbeat would be fresh).

A compiled build still waiting for its team slot has no heartbeat: it is a Celery
message that a worker holds until its countdown.  When that worker dies the broker
hides the message for hours, so the build would wait forever; its broker lease
(``Control.lease``) lapses instead, and the reaper hands the build to ``redispatch``
(which sends its build task again).  A duplicate message is harmless: the build
task ignores builds that ended or that a live worker holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from core import states
from core.db import TERMINAL_STATES, Build, BuildState, utcnow
from core.logbus import LogNotEnded
from pipeline.control import redelivery_after_s
from pipeline.finalize import close_log, closing_lines, finish_build
from pipeline.services import Services

S = BuildState
RUNNING = (S.BUILDING, S.PUSHING)
#: Extra time past a build's own timeout before the reaper steps in for its worker.
TIMEOUT_GRACE_S = 60
#: A holding worker beats every HEARTBEAT_INTERVAL_S (2 s) and its Redis key lives
#: ALIVE_TTL_S (10 s): twenty seconds of silence in both is a dead worker, not a slow one.
STALE_AFTER_S = 20.0


def reap(services: Services, stale_after_s: float = STALE_AFTER_S, now: datetime | None = None,
         recent_s: float = 86400,
         redispatch: Callable[[Build], None] | None = None) -> dict[str, list[str]]:
    """One pass; returns the ids it ended or resent, by reason (``lost``, ``overdue``,
    ``logs``, ``resent``: waiting builds whose message was lost, given to ``redispatch``)."""
    now = now or utcnow()
    done: dict[str, list[str]] = {"lost": [], "overdue": [], "logs": [], "resent": []}
    if redispatch is not None:
        done["resent"] = _resend_orphaned_waiters(services, redispatch)
    with services.sessions() as session:
        for build in session.scalars(select(Build).where(Build.state.in_(RUNNING))).all():
            if services.control.is_alive(build.id):
                continue
            beat = build.heartbeat_at or build.building_at or build.queued_at
            if beat < now - timedelta(seconds=stale_after_s):
                message = (f"worker {build.worker or '?'} stopped sending heartbeats at "
                           f"{beat.isoformat()}; the build was lost with it")
                if states.finish(session, build.id, S.FAILED, error_message=message):
                    session.commit()
                    finish_build(services, session, build.id)
                    done["lost"].append(build.id)
            elif build.building_at and build.timeout_s and build.building_at + timedelta(
                    seconds=build.timeout_s + TIMEOUT_GRACE_S) < now:
                if states.finish(session, build.id, S.TIMED_OUT,
                                 error_message=f"timed out after {build.timeout_s}s"):
                    session.commit()
                    finish_build(services, session, build.id)
                    done["overdue"].append(build.id)
        done["logs"] = _tidy_logs(services, session, now - timedelta(seconds=recent_s))
        session.commit()
    return done


def _resend_orphaned_waiters(services: Services,
                             redispatch: Callable[[Build], None]) -> list[str]:
    """Send again compiled builds that wait for a slot but whose message nobody holds."""
    resent = []
    with services.sessions() as session:
        waiting = session.scalars(select(Build).where(
            Build.state == S.COMPILING, Build.definition_digest.is_not(None),
            Build.joined_build_id.is_(None), Build.cancel_requested.is_(False))).all()
        for build in waiting:
            if services.control.has_lease(build.id) or services.control.is_alive(build.id):
                continue
            timeout_s = build.timeout_s or services.settings.build_timeout_s
            services.control.lease(build.id, redelivery_after_s(timeout_s))
            redispatch(build)
            resent.append(build.id)
    return resent


def _tidy_logs(services: Services, session, since: datetime) -> list[str]:
    """Close (and archive) logs of ended builds that no worker closed."""
    tidied = []
    terminal = list(TERMINAL_STATES)
    rows = session.scalars(select(Build).where(Build.state.in_(terminal),
                                               Build.finished_at >= since)).all()
    for build in rows:
        stats = services.bus.stats(build.id)
        if stats is None or stats.archived or services.control.is_alive(build.id):
            continue
        if not stats.ended:
            close_log(services, build.id, build.state.value, closing_lines(build))
        else:
            try:
                services.bus.archive(build.id)
            except LogNotEnded:
                continue
        tidied.append(build.id)
    return tidied
