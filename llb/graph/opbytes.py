"""LLB messages written straight to wire bytes, in the Go client's field order.

Building ``ops_pb2`` messages field by field from Python, then walking them again
in :mod:`.wire` to put each oneof member last, was about half of a compile. The
marshaller writes its messages here instead, with the rules :mod:`.wire` states:

* ordinary fields by number, then the set oneof member (written even when zero);
* proto3 zero scalars and empty strings left out, repeated elements always written;
* a present submessage written even when empty (``5a 00``);
* map entries sorted by key, each entry with its key and its value.

``tests/llb/test_marshal_opbytes.py`` checks that every op and Definition
written here is exactly what :func:`llb.graph.wire.encode` writes for the same
message.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

_LEN = 2  # wire type of strings, bytes and messages
_VARINT = 0


@lru_cache(maxsize=8192)
def varint(value: int) -> bytes:
    """Base-128 varint; negative ints are sign-extended to 64 bits (10 bytes), as Go does.

    Cached: the values are lengths, flags and -1 defaults, the same few thousand in
    every compile, and a cache hit costs less than one turn of the loop.
    """
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# Field tags of numbers 0..31 (every LLB field number but 0 is below 32), by wire type.
_LEN_TAG = tuple(varint((n << 3) | _LEN) for n in range(32))
_VARINT_TAG = tuple(varint((n << 3) | _VARINT) for n in range(32))


def submessage(number: int, body: bytes) -> bytes:
    """A present message field (written even when ``body`` is empty)."""
    return _LEN_TAG[number] + varint(len(body)) + body


def blob(number: int, data: bytes) -> bytes:
    """One element of a repeated bytes/string field, or a oneof member: always written."""
    return _LEN_TAG[number] + varint(len(data)) + data


def text(number: int, value: str) -> bytes:
    """A singular string field; empty is the proto3 default and is left out."""
    if not value:
        return b""
    data = value.encode("utf-8")
    return _LEN_TAG[number] + varint(len(data)) + data


def texts(number: int, values: Iterable[str]) -> bytes:
    """A repeated string field: every element, empty or not."""
    tag = _LEN_TAG[number]
    encoded = [value.encode("utf-8") for value in values]
    return b"".join([tag + varint(len(data)) + data for data in encoded])


def number(field: int, value: int) -> bytes:
    """A singular varint field (ints, bools, enums); zero is left out."""
    if not value:
        return b""
    return _VARINT_TAG[field] + varint(int(value))


def member_number(field: int, value: int) -> bytes:
    """A varint oneof member: written even when zero (``UserOpt.byID = 0``)."""
    return _VARINT_TAG[field] + varint(value)


def string_entry(field: int, key: str, value: str) -> bytes:
    """One ``map<string, string>`` entry."""
    return submessage(field, blob(1, key.encode("utf-8")) + blob(2, value.encode("utf-8")))


def string_map(field: int, mapping: dict[str, str] | Iterable[tuple[str, str]]) -> bytes:
    """A ``map<string, string>``, entries sorted by key."""
    items = mapping.items() if isinstance(mapping, dict) else mapping
    return b"".join([string_entry(field, k, v) for k, v in sorted(items)])


# --- Op ---------------------------------------------------------------------------

EMPTY_CONSTRAINTS = submessage(11, b"")  # every op but the terminal carries one


def op_input(digest: str, index: int) -> bytes:
    """``Op.inputs`` element."""
    data = digest.encode("utf-8")
    body = _LEN_TAG[1] + varint(len(data)) + data if data else b""
    if index:
        body += _VARINT_TAG[2] + varint(index)
    return _LEN_TAG[1] + varint(len(body)) + body


@lru_cache(maxsize=64)
def op_platform(architecture: str, os: str, variant: str) -> bytes:
    """``Op.platform`` (the same few platforms in every op)."""
    return submessage(10, text(1, architecture) + text(2, os) + text(3, variant))


def op_constraints(filters: tuple[str, ...]) -> bytes:
    """``Op.constraints``: always present, even with no filter."""
    return submessage(11, texts(1, filters)) if filters else EMPTY_CONSTRAINTS


EXEC, SOURCE, FILE = 2, 3, 4  # Op's oneof members


# --- ExecOp -----------------------------------------------------------------------

BIND, SECRET, SSH, CACHE, TMPFS = 0, 1, 2, 3, 4  # pb.MountType
_REMOVE_MOUNT_STUBS = number(11, True)  # Meta.removeMountStubsRecursive, always set


def meta_tail(cwd: str, user: str, hostname: str) -> bytes:
    """The ``Meta`` fields after args and env (and the always-set mount-stubs flag)."""
    return text(3, cwd) + text(4, user) + text(7, hostname) + _REMOVE_MOUNT_STUBS


def exec_meta(args: bytes, env_and_tail: bytes) -> bytes:
    """``ExecOp.meta`` from ``texts(1, args)`` and ``texts(2, KEY=value…)`` + :func:`meta_tail`."""
    return submessage(1, args + env_and_tail)


def mount(
    input: int,
    selector: str,
    dest: str,
    output: int,
    readonly: bool,
    mount_type: int,
    options: bytes = b"",
) -> bytes:
    """``ExecOp.mounts`` element; ``options`` is its tmpfs/cache/secret/ssh option field."""
    body = (
        number(1, input)
        + text(2, selector)
        + text(3, dest)
        + number(4, output)
        + number(5, readonly)
        + number(6, mount_type)
        + options
    )
    return submessage(2, body)


def tmpfs_options(size: int) -> bytes:
    """``Mount.TmpfsOpt``."""
    return submessage(19, number(1, size))


def cache_options(cache_id: str, sharing: int) -> bytes:
    """``Mount.cacheOpt``."""
    return submessage(20, text(1, cache_id) + number(2, sharing))


def secret_options(field: int, secret_id: str, uid: int, gid: int, mode: int, optional: bool):
    """``Mount.secretOpt`` (field 21) or ``Mount.SSHOpt`` (22): the same shape."""
    return submessage(
        field,
        text(1, secret_id) + number(2, uid) + number(3, gid) + number(4, mode)
        + number(5, optional),
    )


# --- SourceOp, FileOp -------------------------------------------------------------


def source_op(identifier: str, attrs: tuple[tuple[str, str], ...]) -> bytes:
    """``Op.source``."""
    return submessage(SOURCE, text(1, identifier) + string_map(2, attrs))


def file_op(actions: Iterable[bytes]) -> bytes:
    """``Op.file``; ``actions`` from :func:`file_action`."""
    return submessage(FILE, b"".join(actions))


COPY, MKFILE, MKDIR, RM = 4, 5, 6, 7  # FileAction's oneof members


def file_action(input: int, secondary: int, output: int, member: int, body: bytes) -> bytes:
    """``FileOp.actions`` element: its indexes, then the action (the oneof member)."""
    return submessage(
        2, number(1, input) + number(2, secondary) + number(3, output) + blob(member, body)
    )


def user_by_name(field: int, name: str, input: int) -> bytes:
    """``ChownOpt.user``/``group`` naming a user looked up in input ``input``."""
    return submessage(field, submessage(1, text(1, name) + number(2, input)))


def user_by_id(field: int, uid: int) -> bytes:
    """``ChownOpt.user``/``group`` by numeric id (written even for root's 0)."""
    return submessage(field, member_number(2, uid & 0xFFFFFFFF))


# --- OpMetadata, Source, Definition -------------------------------------------


_IGNORE_CACHE = number(1, True)  # OpMetadata.ignore_cache


@lru_cache(maxsize=64)
def _key_field(key: str) -> bytes:
    """The key field of a map entry (the same few keys in every op's metadata)."""
    return blob(1, key.encode("utf-8"))


@lru_cache(maxsize=256)
def caps(names: frozenset[str]) -> bytes:
    """``OpMetadata.caps`` (a handful of distinct sets per compile)."""
    true = member_number(2, 1)
    return b"".join(submessage(5, blob(1, n.encode("utf-8")) + true) for n in sorted(names))


def op_metadata(
    ignore_cache: bool,
    description: dict[str, str],
    export_cache: bool | None,
    cap_names: frozenset[str],
) -> bytes:
    """An ``OpMetadata`` body."""
    if len(description) == 1:  # the usual: just the vertex name, no sorting to do
        [(key, value)] = description.items()
        data = value.encode("utf-8")
        entry = _key_field(key) + _LEN_TAG[2] + varint(len(data)) + data
        described = _LEN_TAG[2] + varint(len(entry)) + entry
    else:
        described = string_map(2, description)
    if ignore_cache:
        described = _IGNORE_CACHE + described
    if export_cache is not None:
        described += submessage(4, number(1, export_cache))
    return described + caps(cap_names)


@lru_cache(maxsize=4096)
def location(source_index: int, ranges: tuple[tuple[int, int, int, int], ...]) -> bytes:
    """``Locations.locations`` element; a range is (line, char, end line, end char).

    Cached: the same recipe lines recur in every compile of a recipe.
    """
    body = number(1, source_index) + b"".join(
        submessage(
            2,
            submessage(1, number(1, line) + number(2, char))
            + submessage(2, number(1, end_line) + number(2, end_char)),
        )
        for line, char, end_line, end_char in ranges
    )
    return submessage(1, body)


def source_info(filename: str, data: bytes) -> bytes:
    """``Source.infos`` element."""
    return submessage(2, text(1, filename) + (blob(2, data) if data else b""))


def definition(
    ops: Iterable[bytes],
    entries: Iterable[tuple[str, bytes, list[bytes] | None]],
    infos: Iterable[bytes],
) -> bytes:
    """A whole ``Definition`` from its op bytes, entries and ``Source.infos`` elements.

    ``entries`` are (digest, ``OpMetadata`` body, ``Location`` elements or None)
    sorted by digest: one map entry each in ``metadata`` and, unless None, in
    ``Source.locations``, the digest's key field written once for both.
    """
    value_tag = _LEN_TAG[2]
    parts = [blob(1, op) for op in ops]
    source = []
    for digest, metadata, locations in entries:
        key = _digest_key(digest)
        entry = key + value_tag + varint(len(metadata)) + metadata
        parts += (value_tag, varint(len(entry)), entry)  # Definition.metadata is field 2
        if locations is not None:
            body = b"".join(locations)
            entry = key + value_tag + varint(len(body)) + body
            source += (_LEN_TAG[1], varint(len(entry)), entry)
    parts.append(submessage(3, b"".join(source) + b"".join(infos)))
    return b"".join(parts)


def _digest_key(digest: str) -> bytes:
    """The key field of a map entry keyed by an op digest."""
    data = digest.encode("utf-8")
    return _LEN_TAG[1] + varint(len(data)) + data
