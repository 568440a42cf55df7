"""The demo driver behind ``make demo``: build ``examples/`` through the running API.

The caller (``stack/demo.py``) has the services, web app and workers up; this makes
a demo team, saves every example recipe, builds each one while streaming its log to
the terminal, and prints the pushed image references and how to open the web UI.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import requests
from rich.console import Console
from sqlalchemy import select

from core.config import REPO_ROOT, Settings
from dz.commands.client import Client

DEMO_TEAM = "demo"
DEMO_USER = "demo"


def demo_account(settings: Settings) -> tuple[str, str]:
    """The demo team's API token and a fresh password for the demo user (printed once)."""
    from app.api import accounts
    from core.db import Role, Team, User, make_engine, make_session_factory
    from core.db.migrate import upgrade

    engine = make_engine(settings)
    upgrade(engine)
    password = secrets.token_urlsafe(12)
    with make_session_factory(engine)() as session:
        team = session.scalar(select(Team).where(Team.slug == DEMO_TEAM))
        if team is None:
            team = accounts.create_team(session, DEMO_TEAM, "Demo team")
        user = session.scalar(select(User).where(User.username == DEMO_USER))
        if user is None:
            user = accounts.create_user(session, DEMO_USER, password)
            accounts.add_member(session, team, user, Role.OWNER)
        else:
            from werkzeug.security import generate_password_hash

            user.password_hash = generate_password_hash(password)
        token = accounts.team_token(session, team, "make demo")
        session.commit()
    engine.dispose()
    return token, password


def wait_for_web(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{url}/api/v1/openapi.json", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the web app is not answering at {url}")
        time.sleep(0.5)


def secret_store_description(settings: Settings) -> str:
    """Where team secrets live, for the demo's output (never a value)."""
    if not settings.vault_addr:
        return "the local encrypted store under the state dir (RB_VAULT_ADDR is empty)"
    return (f"OpenBao at {settings.vault_addr}, KV v2 mount '{settings.vault_mount}', "
            f"path teams/<team id>/<NAME>")


def give_demo_secrets(client: Client, text: str, console: Console,
                      where: str = "the team's secret store") -> None:
    """Set a placeholder value for every team secret the recipe references.

    The demo team starts empty; a real team sets its own with ``dz secrets set``.
    """
    from llb.recipe.interpolation import find_references

    names = sorted({r.name for r in find_references(text) if r.namespace == "team"})
    for name in names:
        client.json("PUT", f"/team/secrets/{name}",
                    json={"value": f"demo-{name.lower()}-{secrets.token_hex(8)}"})
    if names:
        console.print(f"demo team secrets set: {', '.join(names)} (stored in {where}; "
                      "the build reads them from there, the values are shown nowhere)")


def build_example(client: Client, path: Path, console: Console,
                  where: str = "the team's secret store") -> dict:
    """Save ``path`` as a recipe, build it, stream its raw log; returns the final build."""
    from dz.commands.builds import save_recipe

    give_demo_secrets(client, path.read_text(), console, where)
    recipe = save_recipe(client, path, path.stem)
    build = client.json("POST", "/builds", json={"recipe_id": recipe["id"]})
    console.rule(f"{path.name} → {build['id']}")
    out = sys.stdout.buffer
    for event in client.stream_events(build["id"]):
        if event["kind"] in ("log", "header", "marker"):
            data = event["data"] if event["kind"] == "log" else event["data"].rstrip("\n") + "\n"
            out.write(data.encode())
            out.flush()
    return client.json("GET", f"/builds/{build['id']}")


def run_demo(settings: Settings, examples: Path | None = None) -> int:
    """Build every ``examples/*.yaml`` through the API at ``settings.public_url``.

    Returns:
        0 when every build succeeded, else 1.
    """
    console = Console()
    url = settings.public_url.rstrip("/")
    wait_for_web(url)
    token, password = demo_account(settings)
    client = Client(url, token)
    results = []
    for path in sorted((examples or REPO_ROOT / "examples").glob("*.yaml")):
        results.append((path.name, build_example(client, path, console,
                                                 secret_store_description(settings))))
    console.rule("Results")
    for name, build in results:
        if build["state"] == "succeeded":
            console.print(f"[green]✔[/] {name}: {build['image_ref']}")
        else:
            error = (build.get("error") or {}).get("message", "")
            console.print(f"[red]✘[/] {name}: {build['state']} {error}")
    console.print(f"\nWeb UI: {url}/  (user [bold]{DEMO_USER}[/], password "
                  f"[bold]{password}[/], team {DEMO_TEAM})")
    console.print(f"CLI:    dz login --url {url} --token {token}")
    return 0 if all(b["state"] == "succeeded" for _, b in results) else 1
