"""The ``dz`` commands that talk to a Recipe Builder server (API, Redis for logs, or its
database for the operator's ``dz admin``)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add every server command to the ``dz`` group."""
    from dz.commands import admin, builds, settings, workspace

    for command in (*builds.COMMANDS, *settings.COMMANDS, workspace.workspace, *admin.COMMANDS):
        group.add_command(command)
