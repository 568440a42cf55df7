"""Request bodies as pydantic models: validation here, JSON Schema for the OpenAPI doc."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.api.errors import ApiError
from registry.naming import ONE_OFF_RECIPE

# Recipe names become registry repository components (registry/naming.py grammar).
RECIPE_NAME = r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$"
VAR_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
MAX_YAML_CHARS = 512 * 1024
MAX_VALUE_CHARS = 64 * 1024
# A complete recipe, for the API document (and the clients and tests generated from it).
EXAMPLE_RECIPE = 'version: "3"\nbuild:\n  steps:\n    - type: command\n      command: echo hello\n'

Model = TypeVar("Model", bound=BaseModel)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # Databases refuse NUL in text columns; reject it as input, not at commit.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class SignIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    team: str | None = Field(default=None, max_length=64,
                             description="team slug; default: the user's first team")


class RecipeCreate(Body):
    name: str = Field(min_length=1, max_length=63, pattern=RECIPE_NAME, examples=["web-app"],
                      description="lower-case name, also the image repository name "
                                  f"('{ONE_OFF_RECIPE}' is reserved for one-off builds)")
    yaml: str = Field(min_length=1, max_length=MAX_YAML_CHARS, examples=[EXAMPLE_RECIPE],
                      description="recipe YAML text")

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == ONE_OFF_RECIPE:
            raise ValueError(f"'{ONE_OFF_RECIPE}' is the repository of one-off builds; "
                             "choose another name")
        return value


class RecipeUpdate(Body):
    yaml: str = Field(min_length=1, max_length=MAX_YAML_CHARS, examples=[EXAMPLE_RECIPE],
                      description="the new version's YAML (versions are immutable)")


class ValidateRequest(Body):
    yaml: str = Field(max_length=MAX_YAML_CHARS)


class BuildCreate(Body):
    recipe_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="build the latest version of this recipe")
    recipe_version_id: str | None = Field(default=None, min_length=1, max_length=80,
                                          description="build this version")
    yaml: str | None = Field(default=None, min_length=1, max_length=MAX_YAML_CHARS,
                             description="one-off build of raw YAML")

    @model_validator(mode="after")
    def _exactly_one(self) -> BuildCreate:
        given = [v for v in (self.recipe_id, self.recipe_version_id, self.yaml)
                 if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of recipe_id, recipe_version_id, yaml")
        return self


class PlanRequest(Body):
    recipe_version_id: str | None = Field(default=None, max_length=80)
    yaml: str | None = Field(default=None, min_length=1, max_length=MAX_YAML_CHARS,
                             description="plan unsaved YAML against the recipe's last build")


class ValueBody(Body):
    value: str = Field(max_length=MAX_VALUE_CHARS)


class SecretValue(Body):
    value: str = Field(min_length=1, max_length=MAX_VALUE_CHARS,
                       description="never shown again; not empty")


class TeamSettingsUpdate(Body):
    # strict: JSON true is not the integer 1.
    build_timeout_s: int | None = Field(default=None, ge=30, le=24 * 3600, strict=True)
    concurrency_limit: int | None = Field(default=None, ge=1, le=64, strict=True)


class TokenCreate(Body):
    name: str = Field(default="", max_length=200)


def parse(model: type[Model]) -> Model:
    """The request's JSON body as ``model`` (422 with field errors when it does not fit)."""
    data: Any = request.get_json(silent=True)
    if data is None:
        if request.is_json:
            raise ApiError(400, "the request body is not valid JSON")
        raise ApiError(415, "send a JSON object with Content-Type: application/json")
    if not isinstance(data, dict):
        raise ApiError(422, "the request body must be a JSON object", "invalid")
    return model.model_validate(data)

