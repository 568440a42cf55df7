"""PostgreSQL: Debian's server, a cluster of the stack's own on 127.0.0.1:5432.

The cluster runs as the ``postgres`` user (the server refuses root).  Its superuser
can log in only over the server's own unix socket, as that OS user (peer auth); the
app's role ``recipe_builder`` logs in over TCP with the password the stack generated
(scram), and owns the database the app and the tests use.  The cluster lives under
the state dir when the ``postgres`` user can reach it, else under
``/var/lib/recipe-builder/`` (a checkout inside a 0700 home, say).
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from core.config import POSTGRES_APP_DATABASE, POSTGRES_APP_ROLE
from core.health import Check, database_check
from stack import procs
from stack.layout import Layout

NAME = "postgres"
OS_USER = "postgres"


def bin_dir() -> Path:
    """The newest installed server version's programs (Debian keeps them per version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server installed: run scripts/bootstrap")
    return Path(found[-1]).parent


def _as_postgres(argv: list[str]) -> list[str]:
    return ["setpriv", f"--reuid={OS_USER}", f"--regid={OS_USER}", "--init-groups",
            "--inh-caps=-all", *argv]


def _reachable_by_postgres(path: Path) -> bool:
    probe = subprocess.run(_as_postgres(["test", "-w", str(path)]), capture_output=True)
    return probe.returncode == 0


def cluster_dir(layout: Layout) -> Path:
    """Where this checkout's cluster lives (see the module's docstring)."""
    home = layout.root / NAME
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, *_ids())
    if _reachable_by_postgres(home):
        return home
    digest = hashlib.sha256(str(layout.root).encode()).hexdigest()[:12]
    fallback = Path("/var/lib/recipe-builder") / f"postgres-{digest}"
    fallback.mkdir(parents=True, exist_ok=True)
    os.chown(fallback, *_ids())
    return fallback


def _ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(OS_USER)
    return entry.pw_uid, entry.pw_gid


def hba_text() -> str:
    """Who may log in how: the superuser only over the socket as the OS user ``postgres``;
    everyone else with a password over loopback TCP."""
    return "\n".join([
        "# written by stack/postgres_server.py",
        f"local all {OS_USER} peer",
        "host all all 127.0.0.1/32 scram-sha-256",
        "host all all ::1/128 scram-sha-256",
    ]) + "\n"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def provision_sql(password: str) -> str:
    """Create or update the app's role (its password follows the generated secret)."""
    role, database = POSTGRES_APP_ROLE, POSTGRES_APP_DATABASE
    return f"""
SELECT 'CREATE ROLE {role} LOGIN' WHERE NOT EXISTS
  (SELECT FROM pg_roles WHERE rolname = '{role}')\\gexec
ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD {_sql_literal(password)};
SELECT 'CREATE DATABASE {database} OWNER {role}' WHERE NOT EXISTS
  (SELECT FROM pg_database WHERE datname = '{database}')\\gexec
"""


def _psql(layout: Layout, sql: str) -> None:
    sock = cluster_dir(layout) / "sock"
    subprocess.run(_as_postgres([str(bin_dir() / "psql"), "-h", str(sock), "-U", OS_USER,
                                 "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]),
                   input=sql, text=True, check=True, capture_output=True)


def status(layout: Layout) -> Check:
    return database_check(layout.settings.postgres_url)


def up(layout: Layout, timeout: float = 60) -> str:
    if status(layout).ok:
        return "reused" if procs.read_pid(layout.run(NAME)) is None else "running"
    url = make_url(layout.settings.postgres_url)
    if procs.read_pid(layout.run(NAME)) is not None:
        # Ours and running, but the app's role does not log in (a new password file,
        # say): provision again rather than start a second server.
        _psql(layout, provision_sql(url.password or ""))
        return "running (role provisioned again)"
    home = cluster_dir(layout)
    data, sock = home / "data", home / "sock"
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_postgres([str(bin_dir() / "initdb"), "-D", str(data), "-U", OS_USER,
                                     "-E", "UTF8", "--auth-local=peer",
                                     "--auth-host=scram-sha-256"]),
                       check=True, capture_output=True)
    (data / "pg_hba.conf").write_text(hba_text())
    sock.mkdir(exist_ok=True)
    os.chown(sock, *_ids())
    argv = _as_postgres([str(bin_dir() / "postgres"), "-D", str(data),
                         "-c", f"listen_addresses={url.host or '127.0.0.1'}",
                         "-c", f"port={url.port or 5432}",
                         "-c", f"unix_socket_directories={sock}",
                         "-c", "password_encryption=scram-sha-256"])
    log = layout.log(NAME)
    procs.spawn(argv, layout.run(NAME), log)
    ready = bin_dir() / "pg_isready"
    if not procs.wait_until(lambda: subprocess.run(
            [str(ready), "-q", "-h", str(sock), "-p", str(url.port or 5432)]).returncode == 0,
            timeout, 0.3):
        raise RuntimeError(f"PostgreSQL did not start; see {log}")
    _psql(layout, provision_sql(url.password or ""))
    if not procs.wait_until(lambda: status(layout).ok, 10, 0.3):
        raise RuntimeError(f"PostgreSQL does not accept {POSTGRES_APP_ROLE}: "
                           f"{status(layout).detail}")
    return "started"


def down(layout: Layout) -> bool:
    # SIGTERM is PostgreSQL's "smart" shutdown; procs.stop escalates if it lingers.
    return procs.stop(layout.run(NAME), timeout=30)
