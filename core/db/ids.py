"""Public record ids: ``<prefix>-<uuid4 hex>`` (e.g. ``build-3f0c…``, 32 hex digits)."""

from __future__ import annotations

import re
import uuid

TEAM = "team"
USER = "user"
TOKEN = "token"
RECIPE = "recipe"
RECIPE_VERSION = "recipe-version"
BUILD = "build"

_HEX32 = re.compile(r"[0-9a-f]{32}")


def new_id(prefix: str) -> str:
    """A fresh id such as ``build-<32 hex>``."""
    return f"{prefix}-{uuid.uuid4().hex}"


def has_prefix(value: str, prefix: str) -> bool:
    """Whether ``value`` is a well-formed id of kind ``prefix``.

    ``recipe-version-…`` is not a ``recipe`` id: the part after the prefix must be
    exactly 32 lowercase hex digits.
    """
    head, sep, tail = value.rpartition("-")
    return bool(sep) and head == prefix and _HEX32.fullmatch(tail) is not None
