"""``scripts/services up|down|status|seed|app``: the local service stack (and ``make up``)."""

from __future__ import annotations

import sys

import click

from core.config import Settings
from stack import (
    appprocs,
    buildkitd,
    buildnet,
    dockerd,
    images,
    postgres_server,
    redis_server,
    registry_server,
    token_service,
    vault_server,
)
from stack.layout import Layout

# Start order matters: the registry sends clients to the token service's realm, and
# buildkitd's steps must never run before the build network's fence is up.  OpenBao
# comes before the token service and the workers that read team secrets from it.
SERVICES = {"redis": redis_server, "postgres": postgres_server, "vault": vault_server,
            "token-service": token_service,
            "registry": registry_server, "dockerd": dockerd, "build-network": buildnet,
            "buildkitd": buildkitd}


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = Layout(Settings.from_env())


@cli.command()
@click.option("--no-images", is_flag=True, help="Skip seeding the base images.")
@click.pass_obj
def up(layout: Layout, no_images: bool) -> None:
    """Start every service (reusing running ones) and seed the base images."""
    layout.root.mkdir(parents=True, exist_ok=True)
    for name, service in SERVICES.items():
        click.echo(f"{name:14} {service.up(layout)}")
    if not no_images:
        for ref, what in images.seed_all(layout, log=click.echo).items():
            click.echo(f"{'image':10} {ref}: {what}")


@cli.command()
@click.pass_obj
def down(layout: Layout) -> None:
    """Stop only the services this stack started (by pidfile)."""
    click.echo(f"{'app':14} {'stopped' if appprocs.down(layout) else 'not ours, left alone'}")
    for name, service in reversed(list(SERVICES.items())):
        click.echo(f"{name:14} {'stopped' if service.down(layout) else 'not ours, left alone'}")


@cli.command()
@click.pass_obj
def status(layout: Layout) -> None:
    """Print each service's state; exit 1 when any is down."""
    all_ok = True
    for name, service in SERVICES.items():
        check = service.status(layout)
        all_ok &= check.ok
        click.echo(f"{name:14} {'up' if check.ok else 'DOWN':5} {check.detail}")
    for line in appprocs.describe(layout):
        click.echo(line)
    click.echo(dockerd.docker_host_hint(layout))
    sys.exit(0 if all_ok else 1)


@cli.command()
@click.pass_obj
def app(layout: Layout) -> None:
    """`make up`: the Procfile in the foreground, taking over from `make demo`'s app."""
    try:
        appprocs.foreground(layout, log=click.echo)
    except appprocs.PortsBusy as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.pass_obj
def seed(layout: Layout) -> None:
    """Seed the base images only."""
    for ref, what in images.seed_all(layout, log=click.echo).items():
        click.echo(f"{ref}: {what}")


if __name__ == "__main__":
    cli()
