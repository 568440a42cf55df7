"""The frozen, closed base model and the value types shared by several sections."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from llb.recipe.fields import AbsolutePath, EnvName, TemplateText
from llb.recipe.json_rules import OrScalar

# A YAML number or boolean reaches the model as the text written (the loader converts it).
EnvValue = Annotated[TemplateText, OrScalar()]


class RecipeModel(BaseModel):
    """Base of every recipe model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, str_strip_whitespace=False)


class EnvVar(RecipeModel):
    """One environment variable."""

    name: EnvName = Field(
        description="Variable name, [A-Za-z_][A-Za-z0-9_]*; DEVZERO_ is reserved."
    )
    value: EnvValue = Field(
        description="Value as written (numbers keep their text); may contain "
        "{{secret:<user|team|devzero>.NAME}} references."
    )


class Credentials(RecipeModel):
    """Git credentials; the value is normally a secret reference."""

    type: Literal["ssh-private-key", "github-token"] = Field(
        description="How the value is used: an SSH private key or a GitHub token."
    )
    value: TemplateText = Field(description='The credential, e.g. "{{secret:team.DEPLOY_KEY}}".')


class SecretMount(RecipeModel):
    """A secret file present only while one command runs."""

    path: AbsolutePath = Field(description="Absolute path where the secret file appears.")
    value: TemplateText = Field(description="Secret reference (or text composed with references).")
