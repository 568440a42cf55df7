"""``python -m stack.flower``: Flower behind basic auth, never an open API.

Flower can list every team's tasks and revoke them, so it always asks for a password:
user ``admin`` and the password the stack generated into ``<state>/secrets/``.  The
credentials reach Flower through its environment, not its command line (which any
local user can read in ``ps``).
"""

from __future__ import annotations

import os
import sys

from core.config import FLOWER_SECRET, Settings, generated_secret

FLOWER_USER = "admin"


def credentials(settings: Settings) -> tuple[str, str]:
    return FLOWER_USER, generated_secret(settings.state_dir, FLOWER_SECRET)


def main() -> None:
    settings = Settings.from_env()
    user, password = credentials(settings)
    env = {key: value for key, value in os.environ.items()
           if key != "FLOWER_UNAUTHENTICATED_API"}
    env["FLOWER_BASIC_AUTH"] = f"{user}:{password}"
    celery = os.path.join(os.path.dirname(sys.executable), "celery")
    os.execve(celery, [celery, "-A", "tasks.worker:app", "flower", "--address=127.0.0.1",
                       f"--port={settings.flower_port}"], env)


if __name__ == "__main__":
    main()
