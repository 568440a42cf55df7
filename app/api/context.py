"""Per-request database session and caller for the API blueprint."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from app.api.services import services


def db() -> Session:
    """The request's database session (opened on first use, closed at teardown)."""
    if "rb_db" not in g:
        g.rb_db = services().sessions()
    return g.rb_db


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("rb_db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
