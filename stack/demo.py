"""``make demo``: the system's main job on the embedded defaults.

Services are already up (the Makefile runs ``scripts/services up`` first); this
prints the health report the web app serves.  Builds of ``examples/`` join here
once the pipeline lands.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from app import create_app
from core.config import Settings


def health_table(report: dict) -> Table:
    table = Table(title="Recipe Builder health")
    for column in ("service", "state", "detail", "ms"):
        table.add_column(column)
    for name, check in report["checks"].items():
        state = "[green]up[/]" if check["ok"] else "[red]DOWN[/]"
        table.add_row(name, state, check["detail"], f"{check['latency_ms']:.1f}")
    return table


def main() -> int:
    settings = Settings.from_env()
    console = Console()
    resp = create_app(settings).test_client().get("/healthz")
    console.print(health_table(resp.get_json()))
    return 0 if resp.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
