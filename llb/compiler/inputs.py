"""What a compile needs besides the recipe, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from llb.recipe.diagnostics import Diagnostic
from llb.recipe.team import TeamNames

NetworkMode = Literal["host", "none", "unset"]


@dataclass(frozen=True)
class CompileInputs:
    """Everything a compile depends on; the compile is a pure function of these and the recipe.

    Attributes:
        base_image: pinned reference of the base image (the recipe's ``image`` or the
            configured devbox, resolved to a digest by the caller).
        dzlaunch_image: pinned reference of the ``library/dzlaunch`` image.
        network_mode: exec network mode for the daemon: ``host`` (Docker 20.10 with
            ``--bridge=none``), ``none`` or ``unset`` (standalone buildkitd).
        team: the team's plain variable values and secret versions; None = offline
            (every ``team.``/``devzero.`` reference is taken as an existing secret).
        team_namespace: the team's registry namespace; enters every exec op (as
            ``DZ_BUILD_TEAM``) so no exec cache record is shared between teams, scopes
            the apt cache mount and limits the recipe's ``image`` to ``<namespace>/``
            or ``library/``. None compiles as the namespace ``local``.
        platform: target platform of every op.
    """

    base_image: str
    dzlaunch_image: str
    network_mode: NetworkMode = "host"
    team: TeamNames | None = None
    team_namespace: str | None = None
    platform: str = "linux/amd64"

    @property
    def names(self) -> TeamNames:
        return self.team if self.team is not None else TeamNames.unknown()


@dataclass(frozen=True)
class StepInfo:
    """One compiled step, for progress display and build records.

    Attributes:
        id: ``1-build-step-<i>`` / ``2-launch-step-<i>``.
        phase: ``build`` or ``launch``.
        type: the step type.
        name: the vertex name (``[build 3/12] install go``), empty for launch steps.
        lines: first and last recipe line of the step.
        digest: digest of the step's last op (build steps), else "".
        secrets: references the step reads.
    """

    id: str
    phase: str
    type: str
    name: str
    lines: tuple[int, int]
    digest: str = ""
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompileResult:
    """The output of :func:`llb.compile_recipe`.

    Attributes:
        definition: serialized ``pb.Definition`` bytes (no secret value inside).
        image_config: OCI image config fields (``Env``, ``User``, ``WorkingDir``, ``Cmd``).
        steps: one entry per build and launch step, in order.
        secret_ids: every secret id the solve's session must serve (build secrets).
        derived_secrets: secret id -> template text the session must compose from
            secret values (``secret_mounts`` values that are not one reference).
        warnings: non-fatal diagnostics from loading and compiling.
        digest: digest of the terminal op's input (the image's final state).
    """

    definition: bytes
    image_config: dict
    steps: tuple[StepInfo, ...]
    secret_ids: tuple[str, ...]
    derived_secrets: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()
    digest: str = ""
