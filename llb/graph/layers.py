"""A chain of layers marshalled as it is built: each op on the previous one's output.

A recipe compiles to a line of ops (base image, setup, one layer per step, the
launch files). Building that line as graph values and then walking it in
:func:`llb.graph.marshal.marshal` made and re-read a vertex, a mount, a metadata
value and two states per exec. :class:`Layers` hands each op to the marshaller as
soon as it is added instead, and writes execs straight to bytes, without an
:class:`~llb.graph.exec.ExecVertex`. The Definition is the one ``marshal`` gives
for the same calls on a :class:`~llb.graph.state.State`
(``tests/llb/test_graph_layers.py`` checks it).

Example:
    >>> layers = Layers(image("busybox", platform="linux/amd64"))
    >>> layers.run(["/bin/sh", "-c", "echo hi"], custom_name="[build 1/1] hi")
    >>> layers.file(mkdir("/home/devzero", 0o755, parents=True))
    >>> definition = layers.definition()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import opbytes
from .exec import Mount, exec_spec, output_index, sort_mounts
from .fileop import Mkdir, Mkfile, Rm, file_op
from .marshal import ExecShape, Marshaller, exec_shape
from .state import Output, State
from .types import LINUX_AMD64, GraphError, NetMode, OpMeta, Platform, SecurityMode, op_meta

if TYPE_CHECKING:
    from .definition import Definition
    from .fileop import FileAction


class _Marshalled:
    """Stands for an op already marshalled: an identity for :class:`Output`, no inputs."""

    __slots__ = ("meta",)

    def __init__(self, meta: OpMeta) -> None:
        self.meta = meta

    def inputs(self) -> tuple[Output, ...]:
        return ()


class Layers:
    """Ops added one after another, each applied to :attr:`head`, marshalled as added.

    :attr:`head` is the state after the last op; its settings stay the base
    state's, as with ``State.run(...).root()`` and ``State.file(...)``.
    """

    def __init__(self, base: State, platform: Platform = LINUX_AMD64) -> None:
        """Start from ``base`` (an op's output; ``platform`` as for ``marshal``)."""
        if base.output is None:
            raise GraphError("layers start from an op's output, not scratch")
        self._marshaller = Marshaller(platform)
        self._marshaller.walk(base.output.vertex)
        self._set_head(base)

    @property
    def head(self) -> State:
        """The state after the last op."""
        if self._head is None:  # made when asked for: execs in a row need only its output
            self._head = self._settings.with_output(self._output)
        return self._head

    def _set_head(self, state: State) -> None:
        self._head: State | None = state
        self._settings = state  # the settings of head, over some earlier output
        self._output = state.output
        # what an exec inherits from head; run() and file() keep it, add() may not. The
        # platform goes in as its fields: a Platform hashes in Python, they in C.
        platform = state.platform
        self._head_settings = (
            state.env, state.cwd, state.user, state.network, state.security, state.hostname,
            None if platform is None else (platform.architecture, platform.os, platform.variant),
        )

    def run(
        self,
        args: Iterable[str],
        *,
        env: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        cwd: str | None = None,
        user: str | None = None,
        network: NetMode | str | None = None,
        security: SecurityMode | str | None = None,
        hostname: str | None = None,
        mounts: Iterable[Mount] = (),
        **meta: Any,
    ) -> None:
        """Run a command on :attr:`head`; the same arguments as :func:`llb.graph.exec.run`.

        The new root filesystem becomes :attr:`head`. Mounts of other states are
        not supported here (their ops would need walking): use :meth:`add`.
        """
        argv = tuple(args)
        if not argv:
            raise GraphError("exec needs at least one argument")
        mounts = tuple(mounts)
        # Everything the op depends on but its args and input, so a shape computed
        # (and checked) once serves every exec with the same settings.
        settings = (env, cwd, user, network, security, hostname, mounts) + self._head_settings
        default_platform = self._marshaller.default_platform
        try:
            shape, root_index = _cached_shape(settings, default_platform)
        except TypeError:  # unhashable (an env given as a dict): no reuse
            shape, root_index = _shape(settings, default_platform)
        meta = op_meta(**meta)
        data = (
            opbytes.op_input(*self._marshaller.ref(self._output))
            + shape.platform
            + opbytes.op_constraints(meta.worker_constraints)
            + shape.member(argv)
        )
        op = _Marshalled(meta)
        self._marshaller.add(op, data, shape.caps, meta)  # its one input is head: done
        self._output = Output(op, root_index)  # head's settings stay
        self._head = None

    def file(self, action: FileAction, **meta: Any) -> None:
        """Apply a chain of file actions to :attr:`head` (see :func:`~llb.graph.fileop.file_op`)."""
        state = file_op(self.head, action, **meta)
        vertex = state.output.vertex
        if all(isinstance(a, Mkdir | Mkfile | Rm) for a in vertex.actions):
            # its one input is head, done: no walk to find what else to marshal
            data, caps = self._marshaller.file_op(vertex)
            self._marshaller.add(vertex, data, caps, vertex.meta)
            self._head, self._output = state, state.output  # the same settings
        else:
            self.add(state)

    def add(self, state: State) -> None:
        """Make ``state`` (built on :attr:`head` with the graph API) the new head."""
        if state.output is None:
            raise GraphError("cannot add scratch: layers are op outputs")
        self._marshaller.walk(state.output.vertex)
        self._set_head(state)

    def definition(self) -> Definition:
        """The Definition whose result is :attr:`head`."""
        return self._marshaller.definition(self._output)


def _shape(settings: tuple, default_platform: bytes) -> tuple[ExecShape, int]:
    """(shape, root output index) of an exec with ``settings`` (see ``Layers.run``).

    Checks the arguments as :func:`~llb.graph.exec.run` does. A pure function of
    immutable values, so its result is shared by every exec with those settings.
    """
    env, cwd, user, network, security, hostname, mounts, *head, platform = settings
    state = State(_HEAD, *head)  # head's settings; which output it is only sets input 0
    spec = exec_spec(state, ("-",), env, cwd, user, network, security, hostname, mounts)
    root = spec.mounts[0]
    if any(m.source is not None for m in spec.mounts[1:]):
        raise GraphError("Layers.run takes no mounts of other states; use add()")
    sorted_mounts = sort_mounts(spec.mounts)
    input_indexes = tuple([0 if m is root else -1 for m in sorted_mounts])
    shape = exec_shape(
        sorted_mounts, input_indexes, spec.secrets, spec.ssh, spec.env, spec.cwd, spec.user,
        spec.hostname, spec.network, spec.security,
        opbytes.op_platform(*platform) if platform else default_platform,
    )
    return shape, output_index(sorted_mounts, "/")


_cached_shape = lru_cache(maxsize=256)(_shape)
_HEAD = Output(_Marshalled(OpMeta()))  # stands for the head in a shape's root mount
