"""The models' shape: which model (or step union) describes the value under a key.

Used to walk raw recipe data alongside the models, e.g. to map pydantic's error
locations back onto data paths, or to tell a known optional key from an unknown one.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any

from pydantic import BaseModel

from llb.recipe.steps import STEP_TYPES

# A node is a model class, STEP_TYPES (a step: the model depends on its ``type``) or None.
Node = Any


def unwrap(annotation: Any) -> Node:
    """The model class (or step union marker) inside Optional/list/Annotated."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) > 1:
                return STEP_TYPES if any(a in STEP_TYPES.values() for a in args) else None
            annotation = args[0]
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def is_model(node: Node) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def model_of(node: Node, value: object) -> Node:
    """The model describing the mapping ``value`` found where ``node`` is expected."""
    if node is STEP_TYPES:
        tag = value.get("type") if isinstance(value, dict) else None
        return STEP_TYPES.get(tag) if isinstance(tag, str) else None
    return node if is_model(node) else None


def known_keys(node: Node, value: object) -> frozenset[str]:
    """The keys a mapping may have where ``node`` is expected.

    A step whose ``type`` is missing or unknown may have any step's keys: its
    type is the error to report, not its other keys.
    """
    model = model_of(node, value)
    if model is not None:
        return _fields(model)
    if node is STEP_TYPES:
        return _ANY_STEP_KEYS
    return frozenset()


@functools.cache
def _fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)


_ANY_STEP_KEYS = frozenset(key for step in STEP_TYPES.values() for key in step.model_fields)


@functools.lru_cache(maxsize=1024)  # bounded: keys come from user input
def field_node(model: Node, key: object) -> Node:
    """The node of ``model``'s field ``key`` (None when the key is unknown).

    Cached because every mapping of every loaded recipe asks.
    """
    if is_model(model) and isinstance(key, str) and key in model.model_fields:
        return unwrap(model.model_fields[key].annotation)
    return None
