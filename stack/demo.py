"""``make demo``: the system's main job on the embedded defaults.

The services are up (the Makefile runs ``scripts/services up`` first). This prints the
health report, starts the Procfile's web app, workers and Flower in the background
(reusing them when they already run), builds every ``examples/`` recipe end to end
through the REST API with its log streamed live, and prints the pushed image
references and how to open the web UI. The app keeps running for the web UI it
points to; ``make up`` takes it over in the foreground, ``scripts/services status``
lists its processes and ``scripts/services down`` stops everything.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from app import create_app
from core.config import FLOWER_SECRET, Settings
from stack import appprocs, flower
from stack.layout import Layout


def health_table(report: dict) -> Table:
    table = Table(title="Recipe Builder health")
    for column in ("service", "state", "detail", "ms"):
        table.add_column(column)
    for name, check in report["checks"].items():
        state = "[green]up[/]" if check["ok"] else "[red]DOWN[/]"
        table.add_row(name, state, check["detail"], f"{check['latency_ms']:.1f}")
    return table


def main() -> int:
    from stack.demo_driver import run_demo

    settings = Settings.from_env()
    console = Console()
    resp = create_app(settings).test_client().get("/healthz")
    console.print(health_table(resp.get_json()))
    if resp.status_code != 200:
        console.print("[red]a service is down; see `scripts/services status`[/]")
        return 1
    what = appprocs.up(Layout(settings))
    console.print(f"web, workers, beat and Flower: {what} "
                  f"(logs in {Layout(settings).log(appprocs.NAME)})")
    code = run_demo(settings)
    user, _ = flower.credentials(settings)
    console.print(f"Flower: http://127.0.0.1:{settings.flower_port}/  (user {user}, password "
                  f"in {settings.state_dir / 'secrets' / FLOWER_SECRET})   "
                  "The app keeps running: `scripts/services status` lists it, `make up` "
                  "takes it over in the foreground, `scripts/services down` stops everything.")
    return code


if __name__ == "__main__":
    sys.exit(main())
