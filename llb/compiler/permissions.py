"""File modes from the recipe's ``permissions`` (octal or symbolic, §4.2)."""

from __future__ import annotations


def file_mode(permissions: str | None, default: int) -> int:
    """``"0644"`` / ``"rw-r--r--"`` -> 0o644; None -> ``default``."""
    if permissions is None:
        return default
    if permissions[0] in "01234567":
        return int(permissions, 8)
    mode = 0
    for char, bit in zip(permissions, "rwxrwxrwx", strict=True):
        mode = (mode << 1) | (char == bit)
    return mode
