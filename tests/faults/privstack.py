"""A whole private service stack for fault tests: nothing here is the shared stack.

Each fault is injected into services only these tests use, so restarting a daemon
never disturbs another test run on the machine: their own dockerd (data-root,
exec-root, socket and pidfile under a temporary directory, started by
``stack.dockerd`` with the same flags as the shared one), their own token-auth
registry and token service (``stack.registry_server``/``stack.token_service``), their
own redis-server (append-only, so a restart is a restart rather than a wipe, as in
production) and their own PostgreSQL cluster.  Workers are real Celery processes
(``tests.tasks.harness.Pipeline``) configured for this stack.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from cryptography.fernet import Fernet

from core.config import Settings, dzlaunch_version
from core.db.migrate import upgrade
from core.health import redis_check
from pipeline.services import Services
from stack import dockerd, images, procs, redis_server, registry_server, token_service
from stack.layout import Layout
from tests.conftest import free_tcp_port
from tests.tasks.harness import Pipeline


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, run as the ``postgres`` user
    (the server refuses to run as root)."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_tcp_port()
        self.data = root / "data"
        self.ctl = _pg_binary("pg_ctl")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        os.chmod(self.root, 0o755)
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        self._as_postgres(_pg_binary("initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "--no-sync")
        self.start()

    def start(self) -> None:
        self._as_postgres(self.ctl, "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                          "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
                                " -c fsync=off", "start")

    def stop(self) -> None:
        self._as_postgres(self.ctl, "-D", str(self.data), "-w", "-m", "fast", "stop")


@dataclass
class PrivateStack:
    root: Path
    settings: Settings
    postgres: PrivatePostgres

    @property
    def layout(self) -> Layout:
        return Layout(self.settings)

    # dockerd -------------------------------------------------------------------------
    def restart_dockerd(self) -> None:
        dockerd.down(self.layout)
        dockerd.up(self.layout)

    # registry ------------------------------------------------------------------------
    def stop_registry(self) -> None:
        registry_server.down(self.layout)

    def start_registry(self) -> None:
        registry_server.start(self.layout)

    # redis ---------------------------------------------------------------------------
    def start_redis(self) -> None:
        port = self.settings.redis_url.rsplit(":", 1)[1].split("/")[0]
        data = self.root / "redis"
        data.mkdir(exist_ok=True)
        # The same ACL as the stack's Redis: the default user off, the URL's user on.
        url = urlparse(self.settings.redis_url)
        acl = data / "users.acl"
        acl.write_text(redis_server.acl_text(url.username, url.password))
        procs.spawn([shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1",
                     "--port", port, "--dir", str(data), "--save", "", "--appendonly", "yes",
                     "--appendfsync", "always", "--aclfile", str(acl)],
                    self.layout.run("redis"), self.layout.log("redis"))
        if not procs.wait_until(lambda: redis_check(self.settings.redis_url).ok, 20):
            raise RuntimeError(f"private redis did not answer; see {self.layout.log('redis')}")

    def restart_redis(self) -> None:
        procs.stop(self.layout.run("redis"))
        self.start_redis()

    def down(self) -> None:
        for stop in (lambda: dockerd.down(self.layout),
                     lambda: registry_server.down(self.layout),
                     lambda: token_service.down(self.layout),
                     lambda: procs.stop(self.layout.run("redis")),
                     self.postgres.stop):
            try:
                stop()
            except Exception:  # noqa: BLE001  (tear down what can be torn down)
                pass
        unmount_under(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


def unmount_under(root: Path) -> None:
    """Lazily unmount what a killed daemon left mounted below ``root`` (deepest first),
    so the directory can be removed."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(f"{root}/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=30)


def private_settings(base: Settings, root: Path, database_url: str) -> Settings:
    registry = f"127.0.0.1:{free_tcp_port()}"
    return base.with_overrides(
        state_dir=root, docker_socket=root / "docker" / "docker.sock",
        buildkit_addr=f"docker://{root / 'docker' / 'docker.sock'}",
        # One test team on a private Docker engine: host networking is allowed here.
        allow_unisolated_engine=True, network_mode="host",
        # Secrets in the local encrypted store of this stack, not the shared OpenBao.
        vault_addr="",
        registry=registry, registry_url=f"http://{registry}",
        registry_realm=f"http://127.0.0.1:{free_tcp_port()}/v2/token",
        redis_url=f"redis://app:{uuid.uuid4().hex}@127.0.0.1:{free_tcp_port()}/0",
        database_url=database_url,
        archive_dir=root / "archive", secret_store_key=Fernet.generate_key().decode(),
        default_base_image=f"{registry}/library/busybox:latest",
        dzlaunch_image=f"{registry}/library/dzlaunch:{dzlaunch_version()}")


def start_private_stack(base: Settings) -> PrivateStack:
    """Start every service of a private stack and seed busybox and dzlaunch into it.

    The root lives under the system temp directory with a short name: containerd's
    socket path under the exec-root must fit in a Unix socket address."""
    root = Path(tempfile.mkdtemp(prefix="rbf-"))
    root.chmod(0o755)  # the postgres user must reach its data directory below
    postgres = PrivatePostgres(root / "pg")
    postgres.root.mkdir()
    postgres.init()
    stack = PrivateStack(root, private_settings(base, root, postgres.url), postgres)
    try:
        stack.start_redis()
        token_service.up(stack.layout)
        registry_server.start(stack.layout)
        dockerd.up(stack.layout)
        for image in images.base_images(dzlaunch_version()):
            if image.repository in ("library/busybox", "library/dzlaunch"):
                images.seed(stack.layout, image, log=lambda _line: None)
        return stack
    except Exception:
        stack.down()
        raise


def pipeline_on(stack: PrivateStack) -> Pipeline:
    services = Services.from_settings(stack.settings)
    upgrade(services.engine)
    return Pipeline(stack.settings, services, stack.root)
