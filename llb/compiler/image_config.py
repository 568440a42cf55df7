"""The OCI image config returned beside the Definition."""

from __future__ import annotations

from llb.compiler.constants import DEFAULT_PATH, DZLAUNCH, HOME, KEEP_ALIVE


def image_config() -> dict:
    """Env, User, WorkingDir and a Cmd that runs launch steps, then keeps the workspace alive.

    ``User`` is root because ``dzlaunch --mode launch`` switches to each step's user.
    """
    return {
        "Env": [f"PATH={DEFAULT_PATH}"],
        "User": "root",
        "WorkingDir": HOME,
        "Cmd": [DZLAUNCH, "--mode", "launch", "--then", *KEEP_ALIVE],
    }
