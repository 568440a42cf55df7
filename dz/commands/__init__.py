"""The ``dz`` commands that talk to a Recipe Builder server (API, or Redis for logs)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add every server command to the ``dz`` group."""
    from dz.commands import builds, settings, workspace

    for command in (*builds.COMMANDS, *settings.COMMANDS, workspace.workspace):
        group.add_command(command)
