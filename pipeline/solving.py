"""One solve on BuildKit with cancel and deadline watching, and its typed outcome.

The solve runs in the BuildKit client's background thread; this thread waits for its
result until the build's deadline, while a listener on the build's cancel channel
(:class:`pipeline.control.CancelWatch`) cancels the solve the moment a cancel is
requested: no polling interval lies between the request and the gRPC cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import buildkit
from buildkit.progress import Event
from core.db import utcnow
from pipeline.buildplan import BuildPlan
from pipeline.failure import step_failure
from pipeline.secrets import BuildSecrets
from pipeline.services import Services
from pipeline.sourcelayers import layer_digests, same_registry
from pipeline.steps import exit_status
from registry.errors import RegistryError
from registry.naming import parse_ref

log = logging.getLogger(__name__)


class SolveKind(StrEnum):
    """How a solve ended (string-valued: the values are what logs always showed)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class SolveOutcome:
    """How a solve ended, with what the build record needs to say about it."""

    kind: SolveKind
    digest: str = ""
    message: str = ""
    vertex: str = ""
    vertex_name: str = ""
    reason: str = ""
    step_id: str | None = None
    line: int | None = None
    exit_code: int | None = None


def cache_sources(services: Services, team_slug: str, plan: BuildPlan) -> tuple[str, ...]:
    """Cache to import, when the registry has it: where the engine's builds export it.

    buildkitd exports every step (mode=max) to the recipe's ``:cache`` ref and no
    inline cache, so its ``:latest`` image would answer nothing; Docker 20.10's
    BuildKit can only export inline cache, which travels inside ``:latest``.
    """
    source = plan.latest if services.settings.engine_is_docker else plan.cache
    try:
        services.registry_for(team_slug).resolve(source)
    except RegistryError:
        return ()
    return (source,)


def solve_options(services: Services, team_slug: str, plan: BuildPlan,
                  imports: tuple[str, ...], secrets: BuildSecrets) -> buildkit.SolveOptions:
    settings, provider = services.settings, services.credentials
    return buildkit.SolveOptions(
        image_name=plan.image, push=True, image_config=plan.image_config,
        cache_imports=imports, cache_export=plan.cache, secrets=secrets.lookup,
        credentials=lambda host: _session_credentials(provider, team_slug, host),
        entitlements=("network.host",) if settings.network_mode == "host" else (),
        insecure_registry=settings.registry_url.startswith("http://"),
        compression=settings.layer_compression, compression_level=settings.compression_level)


def _session_credentials(provider, team_slug: str,
                         host: str) -> buildkit.RegistryCredentials | None:
    creds = provider.session_credentials(team_slug, host)
    return None if creds is None else buildkit.RegistryCredentials(creds.username, creds.password)


def run_solve(services: Services, build_id: str, definition: bytes,
              options: buildkit.SolveOptions, on_event: Callable[[Event], None],
              deadline: datetime) -> SolveOutcome:
    """Solve and push; never raises for build faults, returns their outcome."""
    stop_reason: SolveKind | None = None

    def stop(reason: SolveKind) -> None:
        nonlocal stop_reason
        if stop_reason is None:
            stop_reason = reason
            handle.cancel()

    try:
        with buildkit.connect(services.settings.buildkit_addr) as client:
            handle = client.start_solve(definition, options, on_event)
            with services.control.watch_cancel(build_id,
                                               lambda: stop(SolveKind.CANCELLED)):
                try:
                    left = max((deadline - utcnow()).total_seconds(), 0.0)
                    result = handle.result(timeout=left)
                except TimeoutError:
                    stop(SolveKind.TIMED_OUT)
                    result = handle.result()
            return SolveOutcome(SolveKind.SUCCEEDED, digest=result.image_digest)
    except buildkit.SolveCancelled:
        return SolveOutcome(stop_reason or SolveKind.CANCELLED, message="the solve was cancelled")
    except buildkit.InvalidDefinition as err:
        return SolveOutcome(SolveKind.FAILED,
                            message=f"BuildKit refused the build graph: {err.reason}")
    except buildkit.SolveFailed as err:
        if stop_reason:
            return SolveOutcome(stop_reason, message=str(err))
        return _step_failure(err)
    except (buildkit.DaemonUnreachable, buildkit.PushFailed) as err:
        if stop_reason:
            return SolveOutcome(stop_reason, message=str(err))
        return SolveOutcome(SolveKind.TRANSIENT, message=str(err))
    except buildkit.BuildKitError as err:
        return SolveOutcome(stop_reason or SolveKind.FAILED, message=str(err))


def _step_failure(err: buildkit.SolveFailed) -> SolveOutcome:
    """A failed step, told without its output (the caller may know more: pipeline.failure)."""
    line = err.location.line if err.location else None
    code = exit_status(err.reason)
    message = step_failure(None, err.vertex_name, line, code, err.reason, [])
    return SolveOutcome(SolveKind.FAILED, message=message, vertex=err.vertex_digest,
                        vertex_name=err.vertex_name, reason=err.reason, line=line,
                        exit_code=code)


def source_images(pinned_inputs: Mapping[str, Any]) -> list[str]:
    """The pinned images a compiled build starts from (its base and the launcher)."""
    return [ref for key in ("base_image", "dzlaunch_image") if (ref := pinned_inputs.get(key))]


def new_bytes(services: Services, team_slug: str, image: str, digest: str,
              sources: Iterable[str]) -> int | None:
    """Bytes of the pushed image not in its source images: its own layers and config.

    A source's layers were in the registry before the push (the daemon pulled them
    from it) and are not sent again, so these are the bytes a push moves at most.
    None when the registry could not tell.
    """
    try:
        registry = services.registry_for(team_slug)
        pushed = registry.get_manifest(parse_ref(image).repository, digest).document
        known: set[str] = set()
        for source in same_registry(image, sources):
            known.update(layer_digests(registry, source))
    except (RegistryError, ValueError) as err:
        log.warning("could not size the push of %s: %s", image, err)
        return None
    parts = [layer for layer in pushed.get("layers", ()) if layer.get("digest") not in known]
    parts.append(pushed.get("config") or {})
    return sum(int(part.get("size") or 0) for part in parts) or None


def tag_latest(services: Services, team_slug: str, plan: BuildPlan, digest: str) -> None:
    """Point the recipe's ``:latest`` at the new image (best effort: cache source only)."""
    latest = parse_ref(plan.latest)
    try:
        client = services.registry_for(team_slug)
        manifest = client.get_manifest(latest.repository, digest)
        client.put_manifest(latest.repository, latest.tag, manifest.body,
                            manifest.media_type)
    except RegistryError as err:
        log.warning("could not tag %s: %s", latest, err)
