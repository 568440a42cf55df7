"""The marshalled graph: op bytes in order, per-op metadata, source map.

:class:`Definition` wraps the ``pb.Definition`` that :mod:`.marshal` built and
only reads it: serialization with sorted map keys, a JSON dump in the shape of
``buildctl debug dump-llb``, and convenient views for tests and callers.
"""

from __future__ import annotations

import hashlib
import json

from llb.pb import ops_pb2 as pb

from . import wire


class Definition:
    """An immutable LLB Definition ready for ``SolveRequest.Definition``.

    Attributes:
        ops: serialized ops in Definition order; the last one is the terminal op.
        digests: ``sha256:`` digest of each op, same order.
    """

    __slots__ = ("_message", "_bytes", "_names", "ops", "digests")
    ops: tuple[bytes, ...]
    digests: tuple[str, ...]

    def __init__(self, definition: pb.Definition) -> None:
        own = pb.Definition()
        own.CopyFrom(definition)
        ops = tuple(getattr(definition, "def"))
        object.__setattr__(self, "_message", own)
        object.__setattr__(self, "_bytes", None)  # computed once, on first use
        object.__setattr__(self, "_names", None)
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "digests", tuple(_digest(op) for op in ops))

    @classmethod
    def marshalled(
        cls, data: bytes, ops: tuple[bytes, ...], digests: tuple[str, ...], names: dict[str, str]
    ) -> Definition:
        """Wrap what the marshaller wrote: the bytes, its ops, their digests and names.

        The marshaller writes the bytes directly, so the protobuf message is only
        parsed if a caller asks for a view that needs it (most compiles never do).
        """
        self = object.__new__(cls)
        object.__setattr__(self, "_message", None)
        object.__setattr__(self, "_bytes", data)
        object.__setattr__(self, "_names", dict(names))
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "digests", digests)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Definition is immutable (cannot set {name!r})")

    @property
    def _pb(self) -> pb.Definition:
        if self._message is None:
            message = pb.Definition()
            message.ParseFromString(self._bytes)
            object.__setattr__(self, "_message", message)
        return self._message

    @classmethod
    def from_bytes(cls, data: bytes) -> Definition:
        """Read a serialized ``pb.Definition`` (e.g. written by ``dz compile -o``)."""
        message = pb.Definition()
        message.ParseFromString(data)
        return cls(message)

    def to_pb(self) -> pb.Definition:
        """A fresh copy of the protobuf message (safe to mutate)."""
        copy = pb.Definition()
        copy.CopyFrom(self._pb)
        return copy

    def to_bytes(self) -> bytes:
        """The whole Definition on the wire, map entries sorted by key (stable bytes)."""
        if self._bytes is None:
            object.__setattr__(self, "_bytes", wire.encode(self._pb))
        return self._bytes

    @property
    def terminal(self) -> str:
        """Digest of the terminal op (the last one)."""
        return self.digests[-1]

    @property
    def head(self) -> tuple[str, int]:
        """``(digest, output index)`` of the result the terminal op points at."""
        op = self.op(self.terminal)
        return op.inputs[0].digest, op.inputs[0].index

    def op(self, digest: str) -> pb.Op:
        """The decoded op with ``digest``.

        Raises:
            KeyError: when no op has that digest.
        """
        try:
            index = self.digests.index(digest)
        except ValueError:
            raise KeyError(f"no op with digest {digest}") from None
        message = pb.Op()
        message.ParseFromString(self.ops[index])
        return message

    def names(self) -> dict[str, str]:
        """The ``llb.customname`` of every op that has one, by digest (one pass)."""
        if self._names is not None:
            return dict(self._names)
        return {
            digest: md.description["llb.customname"]
            for digest, md in self._pb.metadata.items()
            if "llb.customname" in md.description
        }

    def metadata(self, digest: str) -> dict:
        """``{"description", "caps", "ignore_cache"}`` of one op (plain Python values)."""
        md = self._pb.metadata[digest] if digest in self._pb.metadata else pb.OpMetadata()
        view = {
            "description": dict(sorted(md.description.items())),
            "caps": dict(sorted(md.caps.items())),
            "ignore_cache": md.ignore_cache,
        }
        if md.HasField("export_cache"):
            view["export_cache"] = md.export_cache.Value
        return view

    def caps(self) -> dict[str, frozenset[str]]:
        """Caps each op declares, by digest."""
        return {
            d: frozenset(k for k, v in md.caps.items() if v) for d, md in self._pb.metadata.items()
        }

    def source(self) -> pb.Source:
        """A copy of the source map."""
        copy = pb.Source()
        copy.CopyFrom(self._pb.Source)
        return copy

    def dump(self) -> list[dict]:
        """Every op decoded, in order, like ``buildctl debug dump-llb``'s JSON stream."""
        entries = []
        for digest, data in zip(self.digests, self.ops, strict=True):
            op = pb.Op()
            op.ParseFromString(data)
            entry = {"Op": wire.to_dict(op), "Digest": digest}
            if digest in self._pb.metadata:
                entry["OpMetadata"] = wire.to_dict(self._pb.metadata[digest])
            entries.append(entry)
        return entries

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`dump` as JSON text (stable: same graph, same text)."""
        return json.dumps(self.dump(), indent=indent, sort_keys=False, ensure_ascii=False)

    def __len__(self) -> int:
        return len(self.ops)

    def __repr__(self) -> str:
        return f"Definition({len(self.ops)} ops, head={self.head[0][:19]}…)"


def _digest(op: bytes) -> str:
    return "sha256:" + hashlib.sha256(op).hexdigest()
