"""The ``dz`` command line. Subcommands live in their own modules and register here."""

from __future__ import annotations

import click

from dz.commands import register as register_server_commands
from dz.commands.migrate import migrate_command
from dz.compile_cmd import compile_command


@click.group()
def dz() -> None:
    """Recipe Builder command line."""


dz.add_command(compile_command)
dz.add_command(migrate_command)
register_server_commands(dz)


def main() -> None:
    dz()


if __name__ == "__main__":
    main()
