"""Schemathesis hooks of the contract run (``hooks`` in schemathesis.toml)."""

from __future__ import annotations

import schemathesis

LOGS = "/builds/{build_id}/logs"
FOLLOWING = {"1", "true"}


@schemathesis.hook
def filter_case(context, case) -> bool:
    """No live follows.  The run has no build workers, so a build it starts never ends
    and neither would a follow of it; following is tested with real workers in
    tests/app (test_api_builds.py, test_ws_logs.py)."""
    if case.operation.path != LOGS:
        return True
    return str((case.query or {}).get("follow")) not in FOLLOWING
