"""The web UI: server-rendered pages; the pages' JavaScript talks to ``/api/v1``
and the websocket relay with the signed-in session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for

from app.api import auth, context, errors, lookup
from core.db import Team
from core.db.recipes import latest_version

bp = Blueprint("ui", __name__)


def signed_in(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        caller = auth.caller_from_session(context.db(), session)
        if caller is None:
            return redirect(url_for("ui.login", next=request.path))
        team = context.db().get(Team, caller.team_id)
        return view(caller, team, *args, **kwargs)

    return wrapper


def page(template: str, caller: auth.Caller | None = None, team: Team | None = None, **values):
    return render_template(template, caller=caller, team=team,
                           csrf=auth.csrf_token() if caller else "", **values)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            auth.sign_in(context.db(), request.form.get("username", ""),
                         request.form.get("password", ""), request.form.get("team") or None)
            target = request.args.get("next", "/")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else "/")
        except errors.ApiError as exc:
            error = exc.message
    return page("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("ui.login"))


@bp.get("/")
@signed_in
def recipes(caller, team):
    return page("recipes.html", caller, team)


@bp.get("/recipes/new")
@signed_in
def new_recipe(caller, team):
    return page("editor.html", caller, team, recipe=None, yaml_text=STARTER)


@bp.get("/recipes/<recipe_id>")
@signed_in
def edit_recipe(caller, team, recipe_id: str):
    recipe = lookup.recipe(context.db(), caller, recipe_id)
    version = latest_version(context.db(), recipe.id)
    return page("editor.html", caller, team, recipe=recipe,
                yaml_text=version.yaml_text if version else "")


@bp.get("/builds/<build_id>")
@signed_in
def build_page(caller, team, build_id: str):
    build = lookup.build(context.db(), caller, build_id)
    return page("build.html", caller, team, build_id=build.id,
                recipe_id=lookup.recipe_id_of(context.db(), build))


@bp.get("/settings")
@signed_in
def settings_page(caller, team):
    return page("settings.html", caller, team)


STARTER = """version: "3"
build:
  steps:
    - type: command
      name: hello
      command: echo "hello from my recipe"
"""


@bp.errorhandler(errors.ApiError)
def _page_error(exc: errors.ApiError):
    return render_template("error.html", message=exc.message, caller=None, team=None,
                           csrf=""), exc.status


def init_app(app: Flask) -> None:
    """Register the pages (their assets are the app's ``static/``)."""
    app.register_blueprint(bp)
