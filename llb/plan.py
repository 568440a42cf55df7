"""Build plans: which build steps of a new Definition come from cache, and why the rest run.

A pure comparison of two marshalled LLB Definitions (the new compile and the
recipe's last successful build).  A step is *cached* when its exec op's digest
also occurs in the old Definition: BuildKit keys its cache by that digest, which
covers the step's own content and everything below it.  For a step that runs,
the reason is found by comparing it with the old step of the same id:

* ``base image changed`` — the image sources (base or launcher) differ;
* ``step changed`` — the step is new, or its payload (script, shell, user, …) differs;
* ``env changed`` — only its literal environment differs;
* ``secret rotated`` — only the version labels of secrets it reads differ (a
  rotation, or a secret deleted and created again: see
  :func:`core.teamsecrets.version_label`);
* ``an earlier step changed`` — nothing of its own changed; a step (or the setup)
  before it did, so its input layer is new.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field

from llb.pb import ops_pb2

BUILD_MODE = ("--mode", "build")
STEP_CHANGED = "step changed"
EARLIER_CHANGED = "an earlier step changed"
BASE_CHANGED = "base image changed"
SECRET_ROTATED = "secret rotated"
ENV_CHANGED = "env changed"
NO_PREVIOUS = "no previous successful build"
STEP_NAME = re.compile(r"^\[build (\d+)/\d+\]")
HELPER_SUFFIX = " (fetch)"


@dataclass(frozen=True)
class StepOp:
    """A build step as found in a Definition (its main op)."""

    id: str
    digest: str
    name: str
    content: str  # digest of the op without inputs, env and secret versions
    env: tuple[str, ...] = ()
    secret_versions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DefinitionFacts:
    """What a plan needs from one Definition."""

    digests: frozenset[str]
    images: tuple[str, ...]
    steps: tuple[StepOp, ...]


@dataclass(frozen=True)
class PlannedStep:
    """One step of a plan: whether it would run or come from cache, and why."""
    id: str
    name: str
    digest: str
    cached: bool
    reason: str | None = None
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The JSON form the API and ``dz plan`` show."""
        return {"id": self.id, "name": self.name, "digest": self.digest,
                "action": "cached" if self.cached else "run", "reason": self.reason,
                "details": self.details}


def facts(definition: bytes) -> DefinitionFacts:
    """Parse a marshalled ``pb.Definition`` into its ops' digests, images and build steps.

    Build steps are the ops the compiler names ``[build <n>/<total>] …`` (recipe-spec
    §9.2); helper ops of a step (``… (fetch)``) are not steps of their own.
    """
    message = ops_pb2.Definition()
    message.ParseFromString(definition)
    digests, images, steps = set(), [], []
    for raw in getattr(message, "def"):
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        digests.add(digest)
        op = ops_pb2.Op()
        op.ParseFromString(raw)
        if op.WhichOneof("op") == "source" and op.source.identifier.startswith("docker-image://"):
            images.append(op.source.identifier)
        name = (message.metadata[digest].description.get("llb.customname", "")
                if digest in message.metadata else "")
        match = STEP_NAME.match(name)
        if match and not name.endswith(HELPER_SUFFIX):
            steps.append(_step(op, digest, name, int(match.group(1)) - 1))
    steps.sort(key=lambda s: int(s.id.rpartition("-")[2]))
    return DefinitionFacts(frozenset(digests), tuple(sorted(images)), tuple(steps))


def _step(op: ops_pb2.Op, digest: str, name: str, index: int) -> StepOp:
    own = ops_pb2.Op()
    own.CopyFrom(op)
    del own.inputs[:]
    env: tuple[str, ...] = ()
    versions: dict = {}
    if op.WhichOneof("op") == "exec":
        env = tuple(op.exec.meta.env)
        del own.exec.meta.env[:]
        args = list(op.exec.meta.args)
        payload = _payload(args)
        if payload is not None:
            versions = dict(payload.pop("secret_versions", None) or {})
            own.exec.meta.args[-1] = json.dumps(payload, sort_keys=True)
    content = hashlib.sha256(own.SerializeToString(deterministic=True)).hexdigest()
    return StepOp(f"1-build-step-{index}", digest, name, content, env, versions)


def _payload(args: list[str]) -> dict | None:
    if len(args) < 4 or tuple(args[1:3]) != BUILD_MODE:
        return None
    try:
        payload = json.loads(base64.b64decode(args[-1], validate=True))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def plan(new: DefinitionFacts, old: DefinitionFacts | None) -> list[PlannedStep]:
    """Every build step of ``new``: cached, or run with the reason (see module doc)."""
    if old is None:
        return [PlannedStep(s.id, s.name, s.digest, False, NO_PREVIOUS) for s in new.steps]
    before = {s.id: s for s in old.steps}
    first_miss: str | None = None
    result = []
    for step in new.steps:
        if step.digest in old.digests:
            result.append(PlannedStep(step.id, step.name, step.digest, True))
            continue
        reason, details = _reason(step, before.get(step.id), new, old, first_miss)
        result.append(PlannedStep(step.id, step.name, step.digest, False, reason, details))
        first_miss = first_miss or step.id
    return result


def _reason(step: StepOp, previous: StepOp | None, new: DefinitionFacts,
            old: DefinitionFacts, first_miss: str | None) -> tuple[str, dict]:
    if new.images != old.images:
        changed = sorted(set(new.images) ^ set(old.images))
        return BASE_CHANGED, {"images": [i.removeprefix("docker-image://") for i in changed]}
    if previous is None or step.content != previous.content:
        return STEP_CHANGED, {}
    if step.env != previous.env:
        names = sorted({e.split("=", 1)[0] for e in set(step.env) ^ set(previous.env)})
        return ENV_CHANGED, {"variables": names}
    if step.secret_versions != previous.secret_versions:
        now, then = step.secret_versions, previous.secret_versions
        rotated = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
        return SECRET_ROTATED, {"secrets": rotated}
    return EARLIER_CHANGED, {"step": first_miss or "setup"}
