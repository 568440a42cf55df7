"""Merging environment scopes and splitting them into literal and secret variables.

Precedence (recipe-spec.md §7.1): top-level < phase < step, by name. A reference to
a plain team variable is replaced by its value at compile time; anything still
holding a reference after that is a secret variable that dzlaunch composes from
mounted secret files at run time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from llb.recipe.base import EnvVar
from llb.recipe.interpolation import Template, parse_template
from llb.recipe.team import TeamNames


@dataclass(frozen=True)
class SplitEnv:
    """Literal variables (name -> value) and secret ones (name, template), in order."""

    literal: tuple[tuple[str, str], ...]
    secret: tuple[tuple[str, str], ...]
    references: tuple[str, ...]  # secret reference keys, first-use order


def merge(*scopes: Iterable[EnvVar] | None) -> dict[str, str]:
    """Later scopes override earlier ones by name; first-definition order is kept."""
    merged: dict[str, str] = {}
    for scope in scopes:
        for var in scope or ():
            merged[var.name] = var.value
    return merged


# A Template is immutable; the same env values (``{{secret:team.TOKEN}}``) recur in
# every step of a recipe and in every compile of it.
_parse = lru_cache(maxsize=1024)(parse_template)


def resolve(text: str, team: TeamNames) -> Template:
    """Parse ``text`` and substitute the values of plain team variables."""
    template = _parse(text)
    plain = {}
    for ref in template.references:
        value = team.plain_value(ref.namespace, ref.name)
        if value is not None:
            plain[ref.key] = value
    return template.substitute(plain) if plain else template


def split(env: dict[str, str], team: TeamNames) -> SplitEnv:
    literal, secret, refs = [], [], []
    for name, value in env.items():
        template = resolve(value, team)
        if not template.references:
            literal.append((name, template.render()))
            continue
        secret.append((name, template.render()))
        refs.extend(r.key for r in template.references if r.key not in refs)
    return SplitEnv(tuple(literal), tuple(secret), tuple(refs))
