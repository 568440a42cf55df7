"""Protobuf wire encoding in the field order BuildKit's Go client writes.

Python's ``SerializeToString`` writes every field in field-number order, oneof
members included. BuildKit's Go types are marshalled by vtprotobuf, which writes
the ordinary fields by number and the set oneof member after them (for ``Op``:
inputs, platform, constraints, then exec/source/file). Digests are taken over
these bytes, so to match the Go client byte for byte we encode ourselves, driven
by the message descriptors:

* ordinary fields by number, then the set oneof member;
* proto3 zero scalars omitted, but a set oneof member is written even when zero
  (``UserOpt.byID = 0``), and a present empty submessage is written (``5a 00``);
* map entries sorted by key, each entry writing its key and its value;
* repeated numeric scalars packed (proto3 default).

Speed: for a message type whose whole subtree has no map and whose oneof members
all come after its ordinary fields (ExecOp, FileOp, Mount, ...), Python's own
serializer already writes exactly these bytes, so the C implementation is used
for it and only the rest is walked here.
"""

from __future__ import annotations

import base64
from functools import cache, lru_cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

_VARINT_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_BOOL,
        FieldDescriptor.TYPE_ENUM,
    }
)
_LEN_TYPES = frozenset(
    {FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES, FieldDescriptor.TYPE_MESSAGE}
)
_WIRE_VARINT = 0
_WIRE_LEN = 2


def encode(message: Message) -> bytes:
    """Serialize ``message`` in the Go client's (vtprotobuf) field order.

    Args:
        message: any message of the project's protos whose fields are varint,
            string, bytes or message typed (true for every LLB message).

    Returns:
        The wire bytes; equal input messages always give equal bytes.

    Raises:
        TypeError: for field types LLB never uses (fixed-width, zigzag).
    """
    out = bytearray()
    _encode_message(message, out, fast=True)
    return bytes(out)


def encode_generic(message: Message) -> bytes:
    """:func:`encode` without the fast path: the pure descriptor walk (cross-checks it)."""
    out = bytearray()
    _encode_message(message, out, fast=False)
    return bytes(out)


@cache
def _python_order_is_go_order(descriptor: Descriptor) -> bool:
    """True when ``SerializeToString(deterministic=True)`` gives the Go bytes."""
    return _order_safe(descriptor, frozenset())


def _order_safe(descriptor: Descriptor, visiting: frozenset) -> bool:
    if descriptor in visiting:
        return False  # recursive types (Definition inside SourceInfo) take the slow path
    fields = descriptor.fields
    if any(_is_map(fd) for fd in fields):
        return False  # Python sorts map entries by their bytes, Go by key
    ordinary = [fd.number for fd in fields if fd.containing_oneof is None]
    members = [fd.number for fd in fields if fd.containing_oneof is not None]
    if ordinary and members and min(members) < max(ordinary):
        return False
    inner = visiting | {descriptor}
    return all(
        _order_safe(fd.message_type, inner)
        for fd in fields
        if fd.type == FieldDescriptor.TYPE_MESSAGE
    )


def _put_varint(value: int, out: bytearray) -> None:
    if 0 <= value < 0x80:  # most tags, lengths and flags: one byte
        out.append(value)
        return
    if value < 0:
        value += 1 << 64  # negative ints are sign-extended to 10 bytes
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


@cache
def _tag(number: int, wire_type: int) -> bytes:
    out = bytearray()
    _put_varint((number << 3) | wire_type, out)
    return bytes(out)


def _put_tag(number: int, wire_type: int, out: bytearray) -> None:
    out += _tag(number, wire_type)


def _put_len(payload: bytes | bytearray, out: bytearray) -> None:
    _put_varint(len(payload), out)
    out += payload


@cache
def _is_map(fd: FieldDescriptor) -> bool:
    return fd.type == FieldDescriptor.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry


def _is_repeated(fd: FieldDescriptor) -> bool:
    # ``is_repeated`` is the modern spelling; ``label`` is deprecated but older.
    rep = getattr(fd, "is_repeated", None)
    return rep if rep is not None else fd.label == FieldDescriptor.LABEL_REPEATED


def _ordered(message: Message) -> list[tuple[FieldDescriptor, object]]:
    # ListFields is already by number; a stable sort moves oneof members last.
    fields = message.ListFields()
    if not message.DESCRIPTOR.oneofs:
        return fields
    return sorted(fields, key=lambda fv: fv[0].containing_oneof is not None)


@cache
def _splittable_oneof(descriptor: Descriptor) -> str | None:
    """The oneof of a message that :func:`_encode_split` can write, else None.

    That is a message with exactly one oneof whose ordinary fields all have
    order-safe types (``Op``): Python's serializer then writes the ordinary
    fields exactly as Go does, and only the member's position differs.
    """
    if len(descriptor.oneofs) != 1 or any(_is_map(fd) for fd in descriptor.fields):
        return None
    ordinary_safe = all(
        _python_order_is_go_order(fd.message_type)
        for fd in descriptor.fields
        if fd.containing_oneof is None and fd.type == FieldDescriptor.TYPE_MESSAGE
    )
    return descriptor.oneofs[0].name if ordinary_safe else None


def _encode_split(message: Message, which: str, out: bytearray) -> None:
    """Ordinary fields by Python's serializer, then the oneof member (Go's order)."""
    # Copy the ordinary fields only: the member (an exec op, say) is the big part.
    rest = type(message)()
    for fd, value in message.ListFields():
        if fd.containing_oneof is not None:
            continue
        if _is_repeated(fd):
            getattr(rest, fd.name).extend(value)
        elif fd.type == FieldDescriptor.TYPE_MESSAGE:
            getattr(rest, fd.name).CopyFrom(value)
        else:
            setattr(rest, fd.name, value)
    out += rest.SerializeToString(deterministic=True)
    member = message.DESCRIPTOR.fields_by_name[which]
    _encode_single(member, getattr(message, which), out, True)


def _encode_message(message: Message, out: bytearray, fast: bool) -> None:
    if fast:
        descriptor = message.DESCRIPTOR
        if _python_order_is_go_order(descriptor):
            out += message.SerializeToString(deterministic=True)
            return
        oneof = _splittable_oneof(descriptor)
        if oneof is not None:
            which = message.WhichOneof(oneof)
            member = descriptor.fields_by_name[which] if which else None
            if member is None or member.type != FieldDescriptor.TYPE_MESSAGE or \
                    _python_order_is_go_order(member.message_type):
                if which is None:
                    out += message.SerializeToString(deterministic=True)
                else:
                    _encode_split(message, which, out)
                return
    for fd, value in _ordered(message):
        if _is_map(fd):
            _encode_map(fd, value, out, fast)
        elif _is_repeated(fd):
            _encode_repeated(fd, value, out, fast)
        else:
            _encode_single(fd, value, out, fast)


def _encode_single(fd: FieldDescriptor, value: object, out: bytearray, fast: bool) -> None:
    if fd.type in _VARINT_TYPES:
        _put_tag(fd.number, _WIRE_VARINT, out)
        _put_varint(int(value), out)
    elif fd.type in _LEN_TYPES:
        _put_tag(fd.number, _WIRE_LEN, out)
        _put_len(_len_payload(fd, value, fast), out)
    else:
        raise TypeError(f"field {fd.full_name}: wire type {fd.type} is not used by LLB")


def _len_payload(fd: FieldDescriptor, value: object, fast: bool) -> bytes | bytearray:
    if fd.type == FieldDescriptor.TYPE_STRING:
        return value.encode("utf-8")
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return value
    if fast and fd.message_type.name in _REPEATED_VALUES:
        return _encode_repeated_value(fd.message_type, value.SerializeToString(deterministic=True))
    sub = bytearray()
    _encode_message(value, sub, fast)
    return sub


# Message types whose values recur many times in one Definition (an OpMetadata per
# op, most with the same caps): each distinct value is walked once. Python's
# deterministic bytes identify the value (equal content, equal bytes), even though
# their field order is not Go's.
_REPEATED_VALUES = frozenset({"OpMetadata"})


@lru_cache(maxsize=1024)
def _encode_repeated_value(descriptor: Descriptor, python_bytes: bytes) -> bytes:
    message = _message_class(descriptor)()
    message.ParseFromString(python_bytes)
    sub = bytearray()
    _encode_message(message, sub, True)
    return bytes(sub)


@cache
def _message_class(descriptor: Descriptor) -> type:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


def _encode_repeated(fd: FieldDescriptor, values: list, out: bytearray, fast: bool) -> None:
    if fd.type in _VARINT_TYPES:
        packed = bytearray()
        for v in values:
            _put_varint(int(v), packed)
        _put_tag(fd.number, _WIRE_LEN, out)
        _put_len(packed, out)
        return
    for v in values:
        _encode_single(fd, v, out, fast)


def _encode_map(fd: FieldDescriptor, mapping, out: bytearray, fast: bool) -> None:
    entry = fd.message_type
    key_fd, value_fd = entry.fields_by_number[1], entry.fields_by_number[2]
    if fast and key_fd.type == FieldDescriptor.TYPE_STRING and (
        value_fd.type != FieldDescriptor.TYPE_MESSAGE
        or _python_order_is_go_order(value_fd.message_type)
    ):
        _encode_simple_map(fd.number, value_fd, mapping, out)
        return
    for key in sorted(mapping):
        # Map entries always carry both key and value, zero or not (as Go writes them).
        item = bytearray()
        _encode_single(key_fd, key, item, fast)
        _encode_single(value_fd, mapping[key], item, fast)
        _put_tag(fd.number, _WIRE_LEN, out)
        _put_len(item, out)


@lru_cache(maxsize=4096)
def _varint_entry(entry_tag: bytes, key: str, value: int) -> bytes:
    item = bytearray(_tag(1, _WIRE_LEN))
    _put_len(key.encode("utf-8"), item)
    item += _tag(2, _WIRE_VARINT)
    _put_varint(value, item)
    out = bytearray(entry_tag)
    _put_len(item, out)
    return bytes(out)


def _encode_simple_map(number: int, value_fd: FieldDescriptor, mapping, out: bytearray) -> None:
    """Encode string-keyed map entries inline.

    String-keyed map entries whose values need no reordering, written inline
    (the Definition's metadata caps and source locations: hundreds per compile).
    """
    entry_tag, key_tag, value_tag = _tag(number, _WIRE_LEN), _tag(1, _WIRE_LEN), None
    kind = value_fd.type
    if kind in _VARINT_TYPES:
        value_tag = _tag(2, _WIRE_VARINT)
    else:
        value_tag = _tag(2, _WIRE_LEN)
    if kind in _VARINT_TYPES:
        # caps maps: a small vocabulary of keys and flags repeated on every op
        for key in sorted(mapping):
            out += _varint_entry(entry_tag, key, int(mapping[key]))
        return
    for key in sorted(mapping):
        value = mapping[key]
        item = bytearray(key_tag)
        _put_len(key.encode("utf-8"), item)
        item += value_tag
        if kind in _VARINT_TYPES:
            _put_varint(int(value), item)
        elif kind == FieldDescriptor.TYPE_STRING:
            _put_len(value.encode("utf-8"), item)
        elif kind == FieldDescriptor.TYPE_BYTES:
            _put_len(value, item)
        else:
            _put_len(value.SerializeToString(deterministic=True), item)
        out += entry_tag
        _put_len(item, out)


def to_dict(message: Message) -> dict:
    """A JSON-ready view of ``message`` in the shape ``buildctl debug dump-llb`` prints.

    Field names are the proto names; oneof members are nested under the oneof's
    Go field name (``Op``, ``Action``, ``User``); integers stay integers, bytes
    are base64, maps are sorted. Only fields present on the wire appear.
    """
    result: dict = {}
    for fd, value in _ordered(message):
        rendered = _render(fd, value)
        oneof = fd.containing_oneof
        if oneof is not None:
            result.setdefault(oneof.name[:1].upper() + oneof.name[1:], {})[fd.name] = rendered
        else:
            result[fd.name] = rendered
    return result


def _render(fd: FieldDescriptor, value: object) -> object:
    if _is_map(fd):
        value_fd = fd.message_type.fields_by_number[2]
        return {k: _render_one(value_fd, value[k]) for k in sorted(value)}
    if _is_repeated(fd):
        return [_render_one(fd, v) for v in value]
    return _render_one(fd, value)


def _render_one(fd: FieldDescriptor, value: object) -> object:
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        return to_dict(value)
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return bool(value)
    return value
