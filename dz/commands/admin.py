"""``dz admin``: teams, users and API tokens, for the operator on the server.

These commands work on the database directly, with the server's settings (the
``RB_*`` environment, as the app and workers read it): there is no public sign-up,
so this is how a second team, its people and their tokens come to be.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import Role, Team, User, accounts, make_engine, make_session_factory
from core.db.tokens import revoke_token


@contextmanager
def records() -> Iterator[Session]:
    """A session on the server's database, committed when the command succeeds."""
    engine = make_engine(Settings.from_env())
    try:
        with make_session_factory(engine)() as session:
            yield session
            try:
                session.commit()
            except IntegrityError as err:
                raise click.ClickException(f"refused by the database: {err.orig}") from None
    finally:
        engine.dispose()


def _team(session: Session, slug: str) -> Team:
    team = accounts.find_team(session, slug)
    if team is None:
        raise click.ClickException(f"no team {slug}")
    return team


def _user(session: Session, username: str) -> User:
    user = accounts.find_user(session, username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    return user


@click.group()
def admin() -> None:
    """Operator commands on the server's database (RB_* settings)."""


@admin.group("team")
def team_group() -> None:
    """Teams."""


@team_group.command("create")
@click.argument("name")
@click.option("--display-name", default="", help="a longer name (default: NAME)")
def team_create(name: str, display_name: str) -> None:
    """Create team NAME (its registry namespace: lower-case letters, digits, . _ -)."""
    from registry.naming import InvalidName, validate_team

    try:
        validate_team(name)
    except InvalidName as err:
        raise click.ClickException(str(err)) from None
    with records() as session:
        if accounts.find_team(session, name) is not None:
            raise click.ClickException(f"team {name} exists")
        team = accounts.create_team(session, name, display_name)
        click.echo(f"team {team.slug} created ({team.id})")


@admin.group("user")
def user_group() -> None:
    """Users and their teams."""


@user_group.command("add")
@click.argument("team")
@click.argument("username")
@click.option("--owner", is_flag=True, help="the user manages the team's members and tokens")
@click.option("--password-stdin", is_flag=True,
              help="read a web UI password from stdin (else the user has API tokens only)")
def user_add(team: str, username: str, owner: bool, password_stdin: bool) -> None:
    """Add USERNAME to TEAM (the user is created if new)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    role = Role.OWNER if owner else Role.MEMBER
    with records() as session:
        found = _team(session, team)
        user = accounts.find_user(session, username)
        if user is None:
            user = accounts.create_user(session, username, password)
            click.echo(f"user {username} created ({user.id})")
        elif password:
            raise click.ClickException(f"user {username} exists; its password stays as it is")
        existing = accounts.membership(session, found, user)
        if existing is not None:
            if existing.role is role:
                raise click.ClickException(f"{username} is already {role.value} of {team}")
            accounts.lock_team(session, found.id)
            try:
                accounts.set_role(session, existing, role)
            except accounts.LastOwner as err:
                raise click.ClickException(f"{username} stays owner of {team}: {err}") from None
            click.echo(f"{username} is now {role.value} of {team}")
            return
        accounts.add_member(session, found, user, role)
        click.echo(f"{username} added to {team} as {role.value}")


@admin.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.argument("team")
@click.argument("username")
@click.option("--name", default="", help="what the token is for (default: by dz admin)")
def token_create(team: str, username: str, name: str) -> None:
    """Issue an API token acting as USERNAME in TEAM; it is printed once, on stdout."""
    with records() as session:
        found, user = _team(session, team), _user(session, username)
        if accounts.membership(session, found, user) is None:
            raise click.ClickException(f"{username} is not a member of {team}")
        row, plaintext = accounts.issue_user_token(
            session, found, name or f"{username} (dz admin)", user)
        click.echo(f"token {row.id} for {username} in {team}:", err=True)
        click.echo(plaintext)


@token_group.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke the API token TOKEN_ID (from 'token create' or the team settings)."""
    with records() as session:
        if not revoke_token(session, token_id):
            raise click.ClickException(f"no live token {token_id}")
        click.echo(f"token {token_id} revoked")


COMMANDS = (admin,)
