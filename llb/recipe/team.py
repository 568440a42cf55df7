"""What the compiler knows about a team's variables: plain values and secret versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

SYSTEM_SECRETS = ("GITHUB_ACCESS_TOKEN", "GITHUB_GIT_CONFIG")
SYSTEM_VERSION = "system"


@dataclass(frozen=True)
class TeamNames:
    """A team's variables as seen by the compiler; never a secret value.

    Attributes:
        variables: plain variables, name -> value (injected into the LLB as text).
        secrets: secret variables, name -> version label (the label enters the cache
            key of each step that reads the secret; the caller makes it unique per
            value it stands for, e.g. ``<version>.<generation>``).
        offline: True when nothing is known (``dz compile`` without ``--team-names``):
            every ``team.``/``devzero.`` name is then taken as an existing secret.
    """

    variables: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    offline: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))
        object.__setattr__(self, "secrets", MappingProxyType(dict(self.secrets)))

    @classmethod
    def unknown(cls) -> TeamNames:
        """Offline mode: no team data, every team./devzero. name is a secret."""
        return cls(offline=True)

    def knows(self, namespace: str, name: str) -> bool:
        """Whether ``{{secret:namespace.name}}`` names something that exists."""
        if namespace == "user":
            return True  # user secrets are resolved per user at launch
        if namespace == "devzero":
            return self.offline or name in SYSTEM_SECRETS
        return self.offline or name in self.variables or name in self.secrets

    def plain_value(self, namespace: str, name: str) -> str | None:
        """The value of a plain team variable, else None (secrets, other namespaces)."""
        if namespace != "team" or name in self.secrets:
            return None
        return self.variables.get(name)

    def version(self, namespace: str, name: str) -> str:
        """The version of a secret (``unknown`` offline, ``system`` for devzero.*)."""
        if namespace == "team" and name in self.secrets:
            return str(self.secrets[name])
        if namespace == "devzero":
            return SYSTEM_VERSION
        return "unknown"
