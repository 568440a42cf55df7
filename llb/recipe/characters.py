"""Recipe text before YAML reads it: bytes decoded, unreadable characters located.

YAML's reader names a bad character by its offset ("position 69"), in bytes or
characters depending on the parser; here it is found first so that the error
has a line, a column and a snippet like every other.
"""

from __future__ import annotations

import re

# What YAML 1.1 accepts in a stream (its "printable" set); anything else stops the reader.
_UNREADABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# ``surrogateescape`` turns each undecodable byte 0xNN into U+DCNN.
_ESCAPED_BYTES = range(0xDC80, 0xDD00)


def as_text(data: str | bytes) -> str:
    """The recipe as text; bytes that are not UTF-8 survive as lone surrogates."""
    if isinstance(data, bytes):
        return data.decode("utf-8", "surrogateescape")
    return data


def first_unreadable(text: str) -> tuple[int, str] | None:
    """Index and description of the first character YAML cannot read, if any."""
    match = _UNREADABLE.search(text)
    if match is None:
        return None
    code = ord(match.group())
    if code in _ESCAPED_BYTES:
        reason = f"byte 0x{code - 0xDC00:02X} is not UTF-8 text; save the recipe as UTF-8"
    elif 0xD800 <= code <= 0xDFFF:
        reason = f"character U+{code:04X} (a lone surrogate) is not valid text"
    else:
        reason = f"character U+{code:04X} is not allowed in a recipe (control character)"
    return match.start(), reason
