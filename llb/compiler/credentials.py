"""Which credentials a git-clone step uses, and how they reach git (§4.4)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from llb.compiler import environment
from llb.recipe.base import Credentials
from llb.recipe.interpolation import Reference, Template
from llb.recipe.source import Path

DEFAULT_CREDENTIALS = Credentials(
    type="github-token", value="{{secret:devzero.GITHUB_ACCESS_TOKEN}}"
)


@dataclass(frozen=True)
class Resolved:
    """``kind``: ssh-private-key, github-token or anonymous; ``secret``: the secret id."""

    kind: str
    secret: str | None = None


def single_secret(template: Template) -> str | None:
    """The reference key when the template is exactly one reference, else None."""
    if len(template.parts) == 1 and isinstance(template.parts[0], Reference):
        return template.parts[0].key
    return None


def is_github(url: str) -> bool:
    if url.startswith("git@github.com:"):
        return True
    try:
        return urlsplit(url).hostname == "github.com"
    except ValueError:
        return False


def effective_credentials(ctx, step, path: Path, step_key: str | None = None) -> Resolved:
    """The step's credentials, else ``config.code_clone_credentials``, else the user's token.

    A token is offered to github.com URLs only. A value that is not exactly one secret
    reference becomes a derived secret the session composes (``<step id>.token``).
    """
    config = ctx.recipe.config
    if step.credentials is not None:
        creds, where = step.credentials, path + ("credentials", "value")
    elif config is not None and config.code_clone_credentials is not None:
        creds, where = config.code_clone_credentials, ("config", "code_clone_credentials", "value")
    else:
        creds, where = DEFAULT_CREDENTIALS, path
    template = environment.resolve(creds.value, ctx.team)
    secret = single_secret(template)
    if creds.type == "ssh-private-key":
        if secret is None:
            ctx.error(
                where,
                "ssh-private-key credentials must be exactly one secret reference, "
                'e.g. "{{secret:team.DEPLOY_KEY}}"',
            )
            return Resolved("anonymous")
        return Resolved("ssh-private-key", secret)
    if not is_github(step.url):
        return Resolved("anonymous")
    if secret is None:
        secret = f"{step_key or 'git'}.token"
        ctx.derived[secret] = template.render()
    return Resolved("github-token", secret)
