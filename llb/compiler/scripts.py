"""Shell scripts for the steps dzlaunch runs.

Shell scripts for steps that dzlaunch runs instead of BuildKit file ops or sources:
every non-command step of the launch phase, build files whose content holds a
secret, and git clones that need an SSH key or a token at launch.
"""

from __future__ import annotations

import posixpath
from shlex import quote

from llb.compiler.constants import HOME

CONTENT_VAR = "DZ_FILE_CONTENT"


def owner_spec(user: str | None, group: str | None) -> str:
    owner = user or "root"
    return f"{owner}:{group or owner}"


def write_file_script(
    path: str,
    mode: int,
    user: str | None,
    group: str | None,
    content_from_env: bool,
    content: str = "",
) -> str:
    """Create parents (0755, the file's owner), write the content, set owner and mode."""
    owner = quote(owner_spec(user, group))
    parent = posixpath.dirname(path)
    lines = ["set -eu", "umask 077"]
    if parent != "/":
        lines.append(f"parent={quote(parent)}")
        lines.append('created=""; probe="$parent"')
        lines.append(
            'while [ ! -d "$probe" ]; do created="$probe $created"; probe=$(dirname "$probe"); done'
        )
        lines.append('mkdir -p "$parent"')
        lines.append(f'for d in $created; do chmod 0755 "$d"; chown {owner} "$d"; done')
    source = f'"${CONTENT_VAR}"' if content_from_env else quote(content)
    lines.append(f"printf '%s' {source} > {quote(path)}")
    lines.append(f"chown {owner} {quote(path)}")
    lines.append(f"chmod {mode:04o} {quote(path)}")
    return "\n".join(lines) + "\n"


def make_directory_script(path: str, mode: int, user: str | None, group: str | None) -> str:
    owner = quote(owner_spec(user, group))
    return (
        f"set -eu\nmkdir -p {quote(path)}\nchown {owner} {quote(path)}\n"
        f"chmod {mode:04o} {quote(path)}\n"
    )


def clone_target(url: str, directory: str | None, clone_root: str) -> str:
    """``directory`` (relative to the clone root) or the URL's last segment without .git."""
    if directory:
        return posixpath.normpath(posixpath.join(clone_root, directory))
    name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = name[:-4] if name.endswith(".git") else name
    return posixpath.join(clone_root, name or "repository")


def clone_script(
    url: str,
    branch: str | None,
    target: str,
    clone_root: str,
    ssh_key_file: str | None = None,
    token_file: str | None = None,
) -> str:
    """``git clone`` with credentials read from files; none lands in argv or .git/config."""
    lines = [
        "set -eu",
        f"mkdir -p {quote(clone_root)}",
        f"cd {quote(clone_root)}",
        "export GIT_TERMINAL_PROMPT=0",
    ]
    if ssh_key_file:
        lines.append(
            "export GIT_SSH_COMMAND="
            + quote(
                f"ssh -i {ssh_key_file} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"
            )
        )
    if token_file:
        lines += [
            "askpass=$(mktemp)",
            "trap 'rm -f \"$askpass\"' EXIT",
            "printf '%s\\n' '#!/bin/sh' 'case \"$1\" in Username*) echo x-access-token;; "
            f'*) cat {token_file};; esac\' > "$askpass"',
            'chmod 0700 "$askpass"',
            'export GIT_ASKPASS="$askpass"',
        ]
    branch_arg = f"--branch {quote(branch)} " if branch else ""
    lines.append(f"git clone {branch_arg}{quote(url)} {quote(target)}")
    return "\n".join(lines) + "\n"


def default_directory(directory: str | None) -> str:
    """A command's working directory: relative paths are under /home/devzero."""
    if not directory:
        return HOME
    return posixpath.normpath(posixpath.join(HOME, directory))
