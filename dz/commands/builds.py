"""``dz build``, ``logs``, ``builds``, ``status``, ``cancel``, ``plan`` and ``login``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.live import Live

from dz.commands.client import Client, save_config
from dz.commands.logtext import ProgressLines
from dz.commands.progress import Board, render

SUCCESS = "succeeded"


@click.command()
@click.option("--url", required=True, help="server URL, e.g. http://127.0.0.1:8000")
@click.option("--token", prompt=True, hide_input=True, help="a team API token")
def login(url: str, token: str) -> None:
    """Check a team API token against the server and remember it."""
    me = Client(url.rstrip("/"), token).json("GET", "/me")
    path = save_config(url, token)
    click.echo(f"logged in to team {me['team']['slug']} as {me['role']} ({path})")


def recipe_name(path: Path) -> str:
    stem = path.name.split(".")[0] or path.parent.name
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "recipe"


def save_recipe(client: Client, path: Path, name: str | None) -> dict:
    """Create the recipe from ``path`` or add its text as a new version."""
    name = name or recipe_name(path)
    text = path.read_text()
    existing = {r["name"]: r for r in client.json("GET", "/recipes")["recipes"]}
    if name in existing:
        return client.json("PUT", f"/recipes/{existing[name]['id']}", json={"yaml": text})
    return client.json("POST", "/recipes", json={"name": name, "yaml": text})


def start_build(client: Client, recipe: str, name: str | None) -> dict:
    path = Path(recipe)
    if path.is_file():
        saved = save_recipe(client, path, name)
        return client.json("POST", "/builds", json={"recipe_id": saved["id"]})
    found = [r for r in client.json("GET", "/recipes")["recipes"] if recipe in (r["name"], r["id"])]
    if not found:
        raise click.ClickException(f"{recipe}: no such file or recipe")
    return client.json("POST", "/builds", json={"recipe_id": found[0]["id"]})


def follow_build(client: Client, build_id: str, console: Console) -> dict:
    """Show a build until it ends: a live board on a terminal, plain lines otherwise."""
    if console.is_terminal:
        _follow_board(client, build_id, console)
    else:
        _follow_plain(client, build_id, console.file)
    return client.json("GET", f"/builds/{build_id}")


def _follow_board(client: Client, build_id: str, console: Console) -> None:
    board = Board()
    with Live(render(board), console=console, refresh_per_second=8, transient=False) as live:
        for event in client.stream_events(build_id):
            board.feed(event)
            live.update(render(board))


def _follow_plain(client: Client, build_id: str, out: TextIO) -> None:
    """BuildKit's plain progress (the raw log view), each line written as it arrives.

    Piped or in CI nobody sees a redrawn board: Rich would print it only once the
    build ended, so a long build printed nothing for minutes.
    """
    lines = ProgressLines()
    for event in client.stream_events(build_id):
        out.write(_format(event, event["data"].encode(), False, lines).decode(errors="replace"))
        out.flush()
    rest = lines.flush()
    out.write(rest.decode(errors="replace") + ("\n" if rest else ""))
    out.flush()


@click.command()
@click.argument("recipe")
@click.option("--name", help="recipe name when RECIPE is a file (default: from the file name)")
@click.option("--follow", "-f", is_flag=True, help="show live progress; exit status = result")
def build(recipe: str, name: str | None, follow: bool) -> None:
    """Build RECIPE (a YAML file, saved as a new version, or a saved recipe's name/id)."""
    client = Client.load()
    started = start_build(client, recipe, name)
    click.echo(f"build {started['id']} queued")
    if not follow:
        return
    result = follow_build(client, started["id"], Console(stderr=False))
    report(result)
    sys.exit(0 if result["state"] == SUCCESS else 1)


def report(result: dict) -> None:
    if result["state"] == SUCCESS:
        click.echo(f"Build successful ({_elapsed(result['elapsed_s'])}): {result['image_ref']}")
        return
    error = result.get("error") or {}
    message = error.get("message", "")
    line = error.get("line")
    where = f" at recipe line {line}" if line and f"line {line}" not in message else ""
    click.echo(f"Build {result['state']}{where}: {message}", err=True)


def _elapsed(seconds: float) -> str:
    return f"{int(seconds // 60)}m {int(seconds % 60)}s"


@click.command()
@click.argument("build_id")
@click.option("--follow", "-f", is_flag=True, help="keep printing until the build ends")
@click.option("--json", "as_json", is_flag=True, help="one JSON event per line")
@click.option("--from", "from_seq", type=click.IntRange(min=1), default=1,
              help="first sequence number")
@click.option("--redis-url", envvar="DZ_REDIS_URL",
              help="read the log stream from Redis directly (operators)")
def logs(build_id: str, follow: bool, as_json: bool, from_seq: int, redis_url: str | None) -> None:
    """Print a build's log (raw BuildKit text, or JSON events).

    In the text, a line redrawn with carriage returns (apt's progress) shows its last
    state only, as a terminal would have shown it.
    """
    out = sys.stdout.buffer
    lines = ProgressLines()
    if redis_url:
        from dz.commands.redislog import events

        source = events(redis_url, build_id, from_seq, follow)
        for event in source:
            out.write(_format(event.as_json(), event.data, as_json, lines))
            out.flush()
        out.write(lines.flush())
        return
    client = Client.load()
    if follow:
        for event in client.stream_events(build_id, from_seq):
            out.write(_format(event, event["data"].encode(), as_json, lines))
            out.flush()
        out.write(lines.flush())
        return
    fmt = "json" if as_json else "text"
    resp = client.request("GET", f"/builds/{build_id}/logs",
                          params={"format": fmt, "from": from_seq}, stream=True)
    for chunk in resp.iter_content(chunk_size=None):
        out.write(chunk if as_json else lines.feed(chunk))
    out.write(lines.flush())


def _format(event: dict, data: bytes, as_json: bool, lines: ProgressLines) -> bytes:
    from core.logevents import LogEvent, raw_chunk

    if as_json:
        return (json.dumps(event, separators=(",", ":")) + "\n").encode()
    return lines.feed(raw_chunk(LogEvent(event["seq"], event["time"], event["kind"],
                                         event["vertex"], event["stream"], data)))


@click.command("builds")
@click.option("--recipe", help="recipe name or id")
@click.option("--state", help="queued, building, succeeded, failed, …")
def list_builds(recipe: str | None, state: str | None) -> None:
    """List recent builds, with their recipe's name."""
    client = Client.load()
    names = {r["id"]: r["name"] for r in client.json("GET", "/recipes")["recipes"]}
    recipe = next((rid for rid, name in names.items() if recipe == name), recipe)
    params = {k: v for k, v in (("recipe_id", recipe), ("state", state)) if v}
    for b in client.json("GET", "/builds", params=params)["builds"]:
        name = names.get(b["recipe_id"], "?") if b["recipe_id"] else "(one-off)"
        click.echo(f"{b['id']}  {name:<24} {b['state']:<10} {_elapsed(b['elapsed_s']):>8}  "
                   f"{b['image_ref'] or ''}")


@click.command()
@click.argument("build_id")
@click.option("--json", "as_json", is_flag=True)
def status(build_id: str, as_json: bool) -> None:
    """Show a build's state, steps and image."""
    b = Client.load().json("GET", f"/builds/{build_id}")
    if as_json:
        click.echo(json.dumps(b, indent=2))
        return
    click.echo(f"{b['id']}: {b['state']} ({_elapsed(b['elapsed_s'])})")
    for s in b.get("steps", []):
        took = "CACHED" if s["cached"] else f"{s['duration_s'] or 0:.1f}s"
        click.echo(f"  {s['status']:<8} {took:>8}  {s['name']}")
    if b["image_ref"]:
        click.echo(f"image: {b['image_ref']}")
    if b["error"]:
        click.echo(f"error: {b['error']['message']}")


@click.command()
@click.argument("build_id")
def cancel(build_id: str) -> None:
    """Cancel a build."""
    b = Client.load().json("POST", f"/builds/{build_id}/cancel")
    click.echo(f"{b['id']}: {b['state']}{' (cancel requested)' if b['cancel_requested'] else ''}")


@click.command()
@click.argument("recipe")
@click.option("--name", help="recipe to compare with when RECIPE is a file "
                             "(default: from the file name)")
def plan(recipe: str, name: str | None) -> None:
    """Show which steps of RECIPE would come from cache, and why the others would not.

    RECIPE is a saved recipe's name or id (its latest version is planned) or a local
    YAML file, planned against the last successful build of the saved recipe of that
    name; the file is not saved.
    """
    client = Client.load()
    path = Path(recipe)
    wanted, body = recipe, {}
    if path.is_file():
        wanted, body = name or recipe_name(path), {"yaml": path.read_text()}
    found = [r for r in client.json("GET", "/recipes")["recipes"] if wanted in (r["name"], r["id"])]
    if not found:
        hint = " (--name chooses the saved recipe to compare with)" if body else ""
        raise click.ClickException(f"no saved recipe {wanted}{hint}")
    result = client.json("POST", f"/recipes/{found[0]['id']}/plan", json=body)
    for s in result["steps"]:
        click.echo(f"{s['name']:<60} {plan_reason(s)}")
    click.echo(f"{result['summary']['cached']} cached, {result['summary']['run']} to run")


def plan_reason(step: dict) -> str:
    """``CACHED`` or ``run: <reason>``; a rotated secret is named (``secret team.NPM changed``)."""
    if step["action"] == "cached":
        return "CACHED"
    secrets = (step.get("details") or {}).get("secrets")
    if step["reason"] == "secret rotated" and secrets:
        return "run: " + ", ".join(f"secret {ref} changed" for ref in secrets)
    return f"run: {step['reason']}"


COMMANDS = (login, build, logs, list_builds, status, cancel, plan)
