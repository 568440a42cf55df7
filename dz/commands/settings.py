"""``dz secrets set|list|rm`` and ``dz env set|list|rm``: the team's variables."""

from __future__ import annotations

import sys

import click

from dz.commands.client import Client


@click.group()
def secrets() -> None:
    """Team secrets (write-only: values are never shown)."""


@secrets.command("set")
@click.argument("name")
@click.argument("value", required=False)
def secrets_set(name: str, value: str | None) -> None:
    """Set or rotate NAME; without VALUE the value is read from stdin."""
    if value is None:
        value = sys.stdin.read()
    s = Client.load().json("PUT", f"/team/secrets/{name}", json={"value": value})
    click.echo(f"{s['name']}: version {s['version']}")


@secrets.command("list")
def secrets_list() -> None:
    for s in Client.load().json("GET", "/team/secrets")["secrets"]:
        click.echo(f"{s['name']}\tversion {s['version']}")


@secrets.command("rm")
@click.argument("name")
def secrets_rm(name: str) -> None:
    Client.load().request("DELETE", f"/team/secrets/{name}")
    click.echo(f"{name}: deleted")


@click.group()
def env() -> None:
    """Team environment variables (plain values)."""


@env.command("set")
@click.argument("name")
@click.argument("value")
def env_set(name: str, value: str) -> None:
    e = Client.load().json("PUT", f"/team/env/{name}", json={"value": value})
    click.echo(f"{e['name']}={e['value']}")


@env.command("list")
def env_list() -> None:
    for e in Client.load().json("GET", "/team/env")["env"]:
        click.echo(f"{e['name']}={e['value']}")


@env.command("rm")
@click.argument("name")
def env_rm(name: str) -> None:
    Client.load().request("DELETE", f"/team/env/{name}")
    click.echo(f"{name}: deleted")


COMMANDS = (secrets, env)
