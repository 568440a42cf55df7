"""The five step types, a union discriminated on ``type`` (recipe-spec.md §4)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from llb.recipe.base import Credentials, EnvVar, RecipeModel, SecretMount
from llb.recipe.fields import (
    AbsolutePath,
    FileContent,
    Label,
    NonEmptyPlain,
    PackageName,
    Permissions,
    PlainText,
    RelativeOrAbsolutePath,
    Script,
    ShellTemplate,
    Url,
    UserName,
    empty_is_unset,
)

_NAME = "Label shown in progress output; never affects caching."


class CommandStep(RecipeModel):
    """Run a script (default shell: ``/bin/bash -l -o errexit -o pipefail {}``)."""

    type: Literal["command"] = Field(description="Step type.")
    command: Script = Field(description="Script body; may span lines.")
    name: Label | None = Field(None, description=_NAME)
    directory: RelativeOrAbsolutePath | None = Field(
        None, description="Working directory; relative paths are under /home/devzero."
    )
    user: UserName | None = Field(None, description="User to run as (default devzero).")
    shell: ShellTemplate | None = Field(
        None, description="Interpreter command line with {} for the script path."
    )
    environment: list[EnvVar] | None = Field(None, description="Variables for this step only.")
    secret_mounts: list[SecretMount] | None = Field(
        None, description="Secret files present only while this command runs."
    )

    _unset_directory = field_validator("directory", mode="before")(empty_is_unset)


class FileStep(RecipeModel):
    """Write a file (parents created, existing file overwritten)."""

    type: Literal["file"] = Field(description="Step type.")
    path: AbsolutePath = Field(description="Absolute path of the file; no ~ or $ expansion.")
    content: FileContent | None = Field(None, description="File content (default empty).")
    permissions: Permissions | None = Field(
        None, description='Octal "0644" or symbolic "rw-r--r--" (default 0644).'
    )
    user: UserName | None = Field(None, description="Owner (default root).")
    group: UserName | None = Field(None, description="Group (default: the owner).")
    name: Label | None = Field(None, description=_NAME)


class DirectoryStep(RecipeModel):
    """Create a directory with its parents."""

    type: Literal["directory"] = Field(description="Step type.")
    path: AbsolutePath = Field(description="Absolute path of the directory.")
    permissions: Permissions | None = Field(
        None, description='Octal "0755" or symbolic "rwxr-xr-x" (default 0755).'
    )
    user: UserName | None = Field(None, description="Owner (default root).")
    group: UserName | None = Field(None, description="Group (default: the owner).")
    name: Label | None = Field(None, description=_NAME)


class AptRepository(RecipeModel):
    """An extra apt source: a URL repository with its key, or a PPA."""

    repository: NonEmptyPlain = Field(description='An apt URL or "ppa:owner/name".')
    key_url: Url | None = Field(None, description="URL of the signing key.")
    components: list[PackageName] | None = Field(
        None, description='Components (default ["stable"]).'
    )
    distribution: PlainText | None = Field(
        None, description="Distribution (default: the image's VERSION_CODENAME)."
    )

    _unset_distribution = field_validator("distribution", mode="before")(empty_is_unset)

    @field_validator("components", mode="before")
    @classmethod
    def _empty_components(cls, value: object) -> object:
        return None if value == [] else value


class AptGetStep(RecipeModel):
    """Install Debian/Ubuntu packages, optionally from extra repositories."""

    type: Literal["apt-get"] = Field(description="Step type.")
    packages: list[PackageName] = Field(min_length=1, description="Packages to install.")
    extra_repositories: list[AptRepository] | None = Field(
        None, description="Repositories added before installing."
    )
    name: Label | None = Field(None, description=_NAME)


class GitCloneStep(RecipeModel):
    """Clone a git repository (owned by devzero)."""

    type: Literal["git-clone"] = Field(description="Step type.")
    url: Url = Field(description="Repository URL.")
    branch: PlainText | None = Field(
        None, description="Branch or tag (default: the remote's HEAD)."
    )
    directory: RelativeOrAbsolutePath | None = Field(
        None, description="Target; relative to config.code_clone_root (default: repository name)."
    )
    credentials: Credentials | None = Field(None, description="Overrides the default credentials.")
    name: Label | None = Field(None, description=_NAME)

    _unset = field_validator("branch", "directory", mode="before")(empty_is_unset)


Step = Annotated[
    CommandStep | FileStep | DirectoryStep | AptGetStep | GitCloneStep,
    Field(discriminator="type"),
]
STEP_TYPES: dict[str, type[RecipeModel]] = {
    "command": CommandStep,
    "file": FileStep,
    "directory": DirectoryStep,
    "apt-get": AptGetStep,
    "git-clone": GitCloneStep,
}
_ = AbsolutePath  # re-exported for the compiler's type hints
