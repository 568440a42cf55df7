"""Recipe rules that span fields or need the phase.

Rules that span fields or need the phase: duplicates, user secrets in build,
step limits, unknown secrets (with team data) and the spec's warnings (§12).
"""

from __future__ import annotations

from collections.abc import Iterator

from llb.recipe import limits
from llb.recipe.diagnostics import Diagnostic
from llb.recipe.interpolation import TemplateError, parse_template
from llb.recipe.source import SourceMap
from llb.recipe.team import TeamNames
from llb.recipe.walk import BUILD, CONFIG, env_lists, phase_steps, texts


def check(data: object, source: SourceMap) -> list[Diagnostic]:
    """Context-free semantic rules on raw (possibly schema-invalid) data."""
    if not isinstance(data, dict):
        return []
    return [
        *_step_limits(data, source),
        *_duplicates(data, source),
        *_reference_rules(data, source),
        *_warnings(data, source),
    ]


def _step_limits(data: dict, source: SourceMap) -> Iterator[Diagnostic]:
    for phase, cap in (("build", limits.MAX_BUILD_STEPS), ("launch", limits.MAX_LAUNCH_STEPS)):
        steps = list(phase_steps(data, phase))
        if len(steps) > cap:
            yield source.diag(
                (phase, "steps"),
                f"too many {phase} steps ({len(steps)}); at most {cap} are supported — merge steps",
            )


def _duplicates(data: dict, source: SourceMap) -> Iterator[Diagnostic]:
    for path, items, _scope in env_lists(data):
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in seen:
                yield source.diag(
                    path + (index, "name"),
                    f"variable '{name}' is already set in this list (item {seen[name]})",
                )
            seen.setdefault(name, index)


def _build_uses_default_credentials(data: dict) -> bool:
    return any(
        step.get("type") == "git-clone" and not step.get("credentials")
        for _path, step in phase_steps(data, BUILD)
    )


def _reference_rules(data: dict, source: SourceMap) -> Iterator[Diagnostic]:
    config_feeds_build = _build_uses_default_credentials(data)
    for text in texts(data):
        try:
            template = parse_template(text.text)
        except TemplateError:
            continue  # reported by the schema
        feeds_build = text.scope == BUILD or (text.scope == CONFIG and config_feeds_build)
        for ref in template.references:
            if ref.legacy:
                yield source.diag(
                    text.path,
                    f"'{ref.source}:' is a legacy prefix; write {{{{secret:{ref.key}}}}}",
                    severity="warning",
                )
            if ref.namespace == "user" and feeds_build:
                yield source.diag(
                    text.path,
                    f"user secrets are not available at build time: {ref.key}; use a team secret",
                )


def _warnings(data: dict, source: SourceMap) -> Iterator[Diagnostic]:
    for text in texts(data):
        try:
            refs = parse_template(text.text).references
        except TemplateError:
            continue
        if text.kind == "content" and text.scope == BUILD and refs:
            yield source.diag(
                text.path,
                "this secret's value is written into the image; "
                "everyone who launches it can read it",
                severity="warning",
            )
        if text.kind == "secret_mount" and not refs:
            yield source.diag(
                text.path,
                "secret_mounts value holds no secret reference; the literal text is mounted",
                severity="warning",
            )
    volumes = (
        (data.get("config") or {}).get("volumes") if isinstance(data.get("config"), dict) else None
    )
    if isinstance(volumes, list) and not any(
        isinstance(v, dict) and v.get("path") == "/home/devzero" for v in volumes
    ):
        yield source.diag(
            ("config", "volumes"),
            "volumes do not include /home/devzero; the home directory will not persist",
            severity="warning",
        )
    for phase in ("build", "launch"):
        for path, step in phase_steps(data, phase):
            repos = step.get("extra_repositories")
            # A wrong-typed value is the schema's error to report, not a crash here.
            for index, repo in enumerate(repos if isinstance(repos, list) else []):
                if (
                    isinstance(repo, dict)
                    and str(repo.get("repository", "")).startswith(("http:", "https:"))
                    and not repo.get("key_url")
                ):
                    yield source.diag(
                        path + ("extra_repositories", index),
                        "repository has no "
                        "key_url; apt refuses it unless its key is already trusted",
                        severity="warning",
                    )


def check_team(
    data: dict, source: SourceMap, team: TeamNames | None, namespace_of_image: str | None = None
) -> list[Diagnostic]:
    """Rules that need the team's names: unknown references, image namespace."""
    diags: list[Diagnostic] = []
    for text in texts(data):
        try:
            refs = parse_template(text.text).references
        except TemplateError:
            continue
        for ref in refs:
            if not (team or TeamNames.unknown()).knows(ref.namespace, ref.name):
                diags.append(source.diag(text.path, f"unknown secret {ref.key}"))
    return diags
