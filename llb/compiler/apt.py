"""The shell script of an ``apt-get`` step (recipe-spec.md §4.3).

Runs as root under ``/bin/sh``. Distribution defaults to the image's
``VERSION_CODENAME`` (read at run time), components to ``stable``.
"""

from __future__ import annotations

import hashlib
import shlex

from llb.recipe.steps import AptGetStep, AptRepository

_PRELUDE = """\
set -eu
export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
"""
_NEED_TOOLS = """\
missing=""
for p in ca-certificates curl gnupg; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update
  apt-get install -y --no-install-recommends $missing
fi
mkdir -p /etc/apt/keyrings
"""
_PPA_TOOLS = """\
if ! grep -qi '^ID=ubuntu' /etc/os-release; then
  echo "PPA repositories need an Ubuntu base image" >&2
  exit 1
fi
if ! command -v add-apt-repository >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends software-properties-common
fi
"""


def _slug(repository: str) -> str:
    return "dz-" + hashlib.sha256(repository.encode()).hexdigest()[:12]


def _url_repository(repo: AptRepository) -> str:
    slug = _slug(repo.repository)
    dist = shlex.quote(repo.distribution) if repo.distribution else '"$codename"'
    components = " ".join(shlex.quote(c) for c in (repo.components or ["stable"]))
    lines = []
    signed = ""
    if repo.key_url:
        keyring = f"/etc/apt/keyrings/{slug}.gpg"
        lines += [
            f"curl -fsSL {shlex.quote(repo.key_url)} -o /tmp/{slug}.key",
            f'if grep -q "BEGIN PGP" /tmp/{slug}.key; then'
            f" gpg --dearmor < /tmp/{slug}.key > {keyring};"
            f" else cp /tmp/{slug}.key {keyring}; fi",
            f"chmod 0644 {keyring} && rm -f /tmp/{slug}.key",
        ]
        signed = f"[signed-by={keyring}] "
    lines.append(
        f'echo "deb {signed}"{shlex.quote(repo.repository)}" "{dist}" "{shlex.quote(components)}'
        f" > /etc/apt/sources.list.d/{slug}.list"
    )
    return "\n".join(lines) + "\n"


def apt_script(step: AptGetStep) -> str:
    """The complete script: repositories, ``apt-get update``, then the install."""
    repos = step.extra_repositories or []
    script = _PRELUDE
    if any(not r.repository.startswith("ppa:") for r in repos):
        script += _NEED_TOOLS
    if any(r.repository.startswith("ppa:") for r in repos):
        script += _PPA_TOOLS
    for repo in repos:
        if repo.repository.startswith("ppa:"):
            script += f"add-apt-repository -y {shlex.quote(repo.repository)}\n"
        else:
            script += _url_repository(repo)
    packages = " ".join(shlex.quote(p) for p in step.packages)
    script += "apt-get update\n"
    script += f"apt-get install -y --no-install-recommends {packages}\n"
    return script


def apt_label(step: AptGetStep) -> str:
    return "apt-get install " + " ".join(step.packages)
