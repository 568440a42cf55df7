"""Path rules of the Go client (``path.Clean``/``path.Join`` semantics, POSIX only)."""

from __future__ import annotations

import posixpath


def clean(path: str) -> str:
    """Go's ``path.Clean``: like ``posixpath.normpath`` but ``//x`` becomes ``/x``."""
    cleaned = posixpath.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def join(*parts: str) -> str:
    """Go's ``path.Join``: join the non-empty parts and clean the result."""
    kept = [p for p in parts if p]
    return clean("/".join(kept)) if kept else ""


def resolve(cwd: str, path: str, keep_slash: bool = False) -> str:
    """An absolute path for ``path`` relative to ``cwd`` (the Go client's normalizePath).

    Args:
        cwd: the working directory of the state the path belongs to.
        path: absolute or relative path.
        keep_slash: keep a trailing ``/`` or ``/.`` (copy destinations use it to
            mean "into this directory").
    """
    result = clean(path)
    if not result.startswith("/"):
        result = join("/", cwd, result)
    if keep_slash:
        if path.endswith("/") and not result.endswith("/"):
            result += "/"
        elif path.endswith("/."):
            result = (result if result == "/" else result + "/") + "."
    return result
