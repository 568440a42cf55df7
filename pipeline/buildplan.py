"""The compile stage's hand-over to the build stage: a typed, frozen :class:`BuildPlan`.

The compile stage writes one into the build row (``pinned_inputs["compiled"]``, as
JSON) and the Celery message carries only the build id; the build stage reads it
back with :meth:`BuildPlan.of_build`.  The JSON keeps the shape the untyped dict had
(plus ``secret_versions``), so rows written before this type existed still read.
No secret value is ever part of it: only secret ids and version labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from llb import CompileResult, StepInfo
from llb.compiler.image_config import ImageConfig
from llb.plan import HELPER_SUFFIX


@dataclass(frozen=True)
class BuildPlan:
    """Everything the build stage needs besides the stored Definition.

    Attributes:
        image: the reference the build pushes (``<registry>/<team>/<recipe>:<tag>``).
        latest: the recipe's ``:latest`` reference, retagged after a success.
        cache: the recipe's registry cache reference.
        image_config: the runtime config written into the image.
        steps: the compiled steps (ids, vertex digests, recipe lines).
        secret_ids: secret ids the BuildKit session must serve.
        derived_secrets: secret id -> template composed from secret values.
        secret_versions: team secret name -> version label pinned at compile time.
        warnings: compile warnings, one headline each.
    """

    image: str
    latest: str
    cache: str
    image_config: ImageConfig
    steps: tuple[StepInfo, ...] = ()
    secret_ids: tuple[str, ...] = ()
    derived_secrets: Mapping[str, str] = field(default_factory=dict)
    secret_versions: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_compile(cls, result: CompileResult, *, image: str, latest: str, cache: str,
                     secret_versions: Mapping[str, str]) -> BuildPlan:
        """The plan of one compile result and the references it will be stored under."""
        return cls(image=image, latest=latest, cache=cache,
                   image_config=ImageConfig.from_oci(result.image_config),
                   steps=tuple(result.steps), secret_ids=tuple(result.secret_ids),
                   derived_secrets=dict(result.derived_secrets),
                   secret_versions=dict(secret_versions),
                   warnings=tuple(w.headline() for w in result.warnings))

    # The step map ---------------------------------------------------------------------

    def step_ids(self) -> dict[str, str]:
        """Vertex digest -> step id, for the build steps (launch steps have no vertex)."""
        return {step.digest: step.id for step in self.steps if step.digest}

    def step_of(self, vertex: str, vertex_name: str = "") -> str | None:
        """The step whose last op is ``vertex``, else the step whose helper op it is.

        A clone's fetch is a source op of its own, named ``<step name> (fetch)``: when
        it fails (an unreachable host), the failure is still that step's.
        """
        if not vertex:
            return None
        found = self.step_ids().get(vertex)
        if found is None and vertex_name.endswith(HELPER_SUFFIX):
            name = vertex_name.removesuffix(HELPER_SUFFIX)
            found = next((s.id for s in self.steps if s.digest and s.name == name), None)
        return found

    def step_info(self, step_id: str | None) -> StepInfo | None:
        """The compiled step with id ``step_id``, if any."""
        return next((step for step in self.steps if step_id and step.id == step_id), None)

    # JSON (the build row) ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what the build row stores)."""
        return {"image": self.image, "latest": self.latest, "cache": self.cache,
                "image_config": self.image_config.to_oci(),
                "steps": [asdict(step) for step in self.steps],
                "secret_ids": list(self.secret_ids),
                "derived_secrets": dict(self.derived_secrets),
                "secret_versions": dict(self.secret_versions),
                "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BuildPlan:
        """The inverse of :meth:`to_json`.

        Raises:
            KeyError: a reference is missing (not a plan).
        """
        return cls(image=data["image"], latest=data["latest"], cache=data["cache"],
                   image_config=ImageConfig.from_oci(data.get("image_config") or {}),
                   steps=tuple(_step(s) for s in data.get("steps") or ()),
                   secret_ids=tuple(data.get("secret_ids") or ()),
                   derived_secrets=dict(data.get("derived_secrets") or {}),
                   secret_versions=dict(data.get("secret_versions") or {}),
                   warnings=tuple(data.get("warnings") or ()))

    @classmethod
    def of_build(cls, pinned_inputs: Mapping[str, Any]) -> BuildPlan:
        """The plan stored in a compiled build's ``pinned_inputs``.

        Rows compiled before the plan carried ``secret_versions`` have them only in
        ``pinned_inputs["secrets"]``, so that is the fallback.
        """
        data = pinned_inputs["compiled"]
        plan = cls.from_json(data)
        if "secret_versions" not in data:
            plan = replace(plan, secret_versions=dict(pinned_inputs.get("secrets") or {}))
        return plan


def _step(data: Mapping[str, Any]) -> StepInfo:
    # JSON turned the tuples into lists; StepInfo is frozen and compared by value.
    return StepInfo(**{**data, "lines": tuple(data.get("lines") or (0, 0)),
                       "secrets": tuple(data.get("secrets") or ())})
