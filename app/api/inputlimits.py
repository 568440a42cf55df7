"""Bounds on what a request can make the app parse, applied app-wide.

* Path integers (``<int:...>``) are bounded: a number the database cannot hold
  must not match a route (an unknown URL, 404), instead of overflowing the driver
  deep in a query.
* JSON nested deeper than the parser's recursion limit is invalid JSON (400), as
  any other malformed body, not a ``RecursionError`` escaping the handler.
* ``<id:...>`` matches only what is shaped like a record id, so ``/recipes/validate``
  is never also "the recipe 'validate'": a method that path does not serve is a 405
  whose ``Allow`` lists only its own methods.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter, IntegerConverter

#: Every integer a path names is stored in a 32-bit column (PostgreSQL ``integer``).
MAX_PATH_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` with an upper bound unless the rule gives its own ``max``."""

    def __init__(self, map: Any, *args: Any, max: int | None = MAX_PATH_INT,  # noqa: A002
                 **kwargs: Any) -> None:
        super().__init__(map, *args, max=max, **kwargs)


class RecordIdConverter(BaseConverter):
    """A public record id, ``<kind>-<32 hex>`` (core/db/ids.py)."""

    regex = r"[a-z]+(?:-[a-z]+)*-[0-9a-f]{32}"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with too-deep nesting reported as a malformed document."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # get_json() turns ValueError into "not JSON" (None when silent).
            raise ValueError("JSON nested too deeply") from None


def init_app(app: Flask) -> None:
    """Install both on ``app`` before any route is added (the converter binds then)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["id"] = RecordIdConverter
    app.json = JSONProvider(app)
