"""Size limit of a Definition on the wire.

Docker 20.10's ``/grpc`` endpoint keeps grpc-go's default 4 MiB receive limit, and
the Definition travels inside one ``SolveRequest``; a larger request fails with an
opaque transport error, so we refuse it first with the numbers.
"""

from __future__ import annotations

from .definition import Definition

DOCKER_20_10_MAX_MESSAGE = 4 * 1024 * 1024
# Room left for the rest of the SolveRequest (exporter and frontend attributes).
SOLVE_REQUEST_RESERVE = 64 * 1024


class DefinitionTooLargeError(ValueError):
    """The Definition does not fit in one message to the daemon."""


def check_size(
    definition: Definition,
    limit: int = DOCKER_20_10_MAX_MESSAGE,
    reserve: int = SOLVE_REQUEST_RESERVE,
) -> int:
    """Return the Definition's size in bytes, or raise when it cannot be sent.

    Args:
        definition: the marshalled graph.
        limit: the daemon's maximum received message (4 MiB for Docker 20.10).
        reserve: bytes kept free for the rest of the request.

    Raises:
        DefinitionTooLargeError: naming the size, the budget and the largest op.
    """
    size = len(definition.to_bytes())
    budget = limit - reserve
    if size > budget:
        largest = max(range(len(definition.ops)), key=lambda i: len(definition.ops[i]))
        raise DefinitionTooLargeError(
            f"the build graph is {size} bytes, over the {budget}-byte budget of a "
            f"{limit}-byte message; the largest op ({definition.digests[largest][:19]}) "
            f"is {len(definition.ops[largest])} bytes: large file contents should come "
            "from an image or a git source, not be written inline"
        )
    return size
