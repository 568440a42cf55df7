"""The recipe document: phases, runtime, config and the top-level keys (§3, §6)."""

from __future__ import annotations

from pydantic import Field, PrivateAttr, field_validator

from llb.recipe.base import Credentials, EnvVar, RecipeModel
from llb.recipe.diagnostics import Diagnostic
from llb.recipe.fields import AbsolutePath, GpuCount, NonEmptyPlain, SubPath, fail
from llb.recipe.source import SourceMap
from llb.recipe.steps import Step

DEFAULT_VOLUMES = (
    ("/home/devzero", "home"),
    ("/var/lib/devzero", "var-lib-devzero"),
    ("/var/lib/docker", "var-lib-docker"),
)


class Phase(RecipeModel):
    """A build or launch phase."""

    environment: list[EnvVar] | None = Field(None, description="Variables for every step.")
    steps: list[Step] | None = Field(None, description="Steps, run in the order written.")


class Runtime(RecipeModel):
    """The environment of interactive sessions."""

    environment: list[EnvVar] | None = Field(
        None, description="Session variables; values support shell expansion."
    )


class Volume(RecipeModel):
    """A directory persisted across workspace restarts."""

    path: AbsolutePath = Field(description="Absolute directory in the workspace.")
    sub_path: SubPath = Field(description="Name of the persisted sub-volume.")


class HardwareSpec(RecipeModel):
    """Minimum hardware for workspaces (stored, no effect on the image)."""

    cpu: NonEmptyPlain = Field("auto", description='"auto" or a size.')
    memory: NonEmptyPlain = Field("auto", description='"auto" or a size.')
    storage: NonEmptyPlain = Field("auto", description='"auto" or a size.')
    gpu: GpuCount = Field(False, description="Whether (or how many) GPUs.")


class Config(RecipeModel):
    """Workspace configuration."""

    code_clone_root: AbsolutePath | None = Field(
        None, description="Where git-clone puts repositories (default /home/devzero)."
    )
    code_clone_credentials: Credentials | None = Field(
        None, description="Credentials for every git-clone step."
    )
    volumes: list[Volume] | None = Field(None, description="Persisted directories.")
    minimum_hardware_spec: HardwareSpec | None = Field(None, description="Minimum hardware.")


class Recipe(RecipeModel):
    """A DevZero format v3 recipe."""

    version: str = Field(description='Recipe format version: "3".')
    image: NonEmptyPlain | None = Field(
        None, description="Base image reference (team namespace or library/); default: the devbox."
    )
    environment: list[EnvVar] | None = Field(
        None, description="Variables for build and launch (lowest precedence)."
    )
    build: Phase | None = Field(None, description="Build phase: steps become cached layers.")
    launch: Phase | None = Field(None, description="Launch phase: runs when a workspace starts.")
    runtime: Runtime | None = Field(None, description="Environment of interactive sessions.")
    config: Config | None = Field(None, description="Workspace configuration.")

    _source: SourceMap | None = PrivateAttr(None)
    _warnings: tuple[Diagnostic, ...] = PrivateAttr(())

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> str:
        if value == "3" or (type(value) is int and value == 3):
            return "3"
        shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
        raise fail(f'unsupported recipe version {shown}; expected "3"')

    @property
    def source(self) -> SourceMap | None:
        """Where each value was written (None for recipes built in code)."""
        return self._source

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """Non-fatal diagnostics found while loading."""
        return self._warnings

    def build_steps(self) -> list:
        return list(self.build.steps or []) if self.build else []

    def launch_steps(self) -> list:
        return list(self.launch.steps or []) if self.launch else []
