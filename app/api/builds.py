"""Builds: create, list, get, cancel and logs.  The pipeline is reached only through
:mod:`pipeline.submit` (submit/cancel/get), logs only through :mod:`core.logbus`."""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context
from sqlalchemy import select

from app.api import bp, logstream, lookup, serialize
from app.api.auth import current_caller
from app.api.context import db
from app.api.errors import ApiError
from app.api.params import from_seq as from_seq_arg
from app.api.params import int_arg
from app.api.recipes import check_valid
from app.api.schemas import BuildCreate, parse
from app.api.services import services
from core.db import Build, BuildState, utcnow
from core.db.recipes import builds_of, latest_version
from core.logevents import json_lines, raw_text

MAX_LIST = 200
FOLLOW = {"0": False, "1": True, "false": False, "true": True}


def build_json(row: Build, with_steps: bool = True) -> dict:
    return serialize.build(row, utcnow(), recipe_id=lookup.recipe_id_of(db(), row),
                           with_steps=with_steps)


@bp.post("/builds")
def create_build():
    from pipeline import submit as build_service

    body = parse(BuildCreate)
    caller = current_caller()
    session = db()
    version_id, yaml_text = body.recipe_version_id, None
    if body.recipe_id:
        latest = latest_version(session, lookup.recipe(session, caller, body.recipe_id).id)
        if latest is None:
            raise ApiError(409, "the recipe has no version to build")
        version_id = latest.id
    elif version_id:
        version = lookup.version(session, caller, version_id)
        if version.recipe.deleted_at is not None:
            # Its image would be named after a deleted recipe: refuse, not fail later.
            raise ApiError(409, "the recipe of this version was deleted; it cannot be built",
                           "recipe_deleted")
        version_id = version.id
    else:
        check_valid(body.yaml or "")
        yaml_text = body.yaml
    row = build_service.submit_build(session, services().dispatch, services().settings,
                                     team_id=caller.team_id, recipe_version_id=version_id,
                                     recipe_yaml=yaml_text, author=caller.user_id)
    return jsonify(build_json(row)), 201


@bp.get("/builds")
def list_builds():
    caller = current_caller()
    query = select(Build)
    recipe_id = request.args.get("recipe_id")
    if recipe_id:
        query = builds_of(lookup.recipe(db(), caller, recipe_id).id)
    query = query.where(Build.team_id == caller.team_id)
    state = request.args.get("state")
    if state:
        try:
            query = query.where(Build.state == BuildState(state))
        except ValueError:
            raise ApiError(400, f"unknown state {state!r}; one of "
                           f"{', '.join(s.value for s in BuildState)}") from None
    limit = int_arg("limit", 50, 1, MAX_LIST)
    rows = db().scalars(query.order_by(Build.queued_at.desc(), Build.id).limit(limit))
    return jsonify({"builds": [build_json(r, with_steps=False) for r in rows]})


@bp.get("/builds/<build_id>")
def get_build(build_id: str):
    return jsonify(build_json(lookup.build(db(), current_caller(), build_id)))


@bp.post("/builds/<build_id>/cancel")
def cancel_build(build_id: str):
    from pipeline import submit as build_service

    row = lookup.build(db(), current_caller(), build_id)
    if row.state.terminal:
        raise ApiError(409, f"the build already ended ({row.state.value})")
    row = build_service.cancel_build(db(), services().redis, services().dispatch, row.id)
    return jsonify(build_json(row)), 202


@bp.get("/builds/<build_id>/logs")
def build_logs(build_id: str):
    """The log as raw text or NDJSON, from sequence ``from``; ``follow=1`` streams live."""
    row = lookup.build(db(), current_caller(), build_id)
    fmt = request.args.get("format", "text")
    if fmt not in ("text", "json"):
        raise ApiError(400, "format must be 'text' or 'json'")
    from_seq = from_seq_arg()
    follow = FOLLOW.get(request.args.get("follow", "0"))
    if follow is None:
        raise ApiError(400, f"follow must be one of {', '.join(FOLLOW)}")
    bus = services().logbus
    if (follow and not row.state.terminal) or _closing_lines_pending(bus, row):
        events = logstream.follow(bus, services().sessions, row.id, from_seq)
    else:
        events = bus.read(row.id, from_seq)
    if fmt == "json":
        body, content_type = json_lines(events), "application/x-ndjson"
    else:
        body, content_type = raw_text(events), "text/plain; charset=utf-8"
    # content_type, not mimetype: Flask appends a charset of its own to a mimetype.
    return Response(stream_with_context(body), content_type=content_type,
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _closing_lines_pending(bus, row: Build) -> bool:
    """Whether an ended build's log still waits for its closing lines.

    The worker commits the terminal state a moment before it appends the closing lines
    ("Build failed with code N") and END: a plain read then would miss them, so such a
    log is followed to its END (bounded by ``logstream``'s grace).
    """
    if not row.state.terminal:
        return False
    stats = bus.stats(row.id)
    return stats is not None and not stats.ended
