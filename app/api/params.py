"""Query parameters, checked the same way wherever they are read."""

from __future__ import annotations

from flask import request

from app.api.errors import ApiError

#: A log's sequence numbers (``from``): the log bus's stream ids hold up to 2**64 - 1.
MAX_SEQ = 2**62


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """The integer query parameter ``name`` in ``[low, high]``; 400 otherwise."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}")
    return value


def from_seq() -> int:
    """``from``, the first log sequence number wanted (HTTP and websocket logs alike)."""
    return int_arg("from", 1, 1, MAX_SEQ)
