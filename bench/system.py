"""The whole system for the benchmarks: web app, compile and buildqd Celery workers,
records, on the real Redis, BuildKit and registry; plus the Docker CLI baseline.

Everything runs on queues, a Redis database (11) and a SQLite file of its own, so a
benchmark never takes another run's tasks.  Used by overhead, rebuild, logpath and
scaleout; not by tests.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from core import gcsettle
from core.config import REPO_ROOT, Settings
from core.db import Build

CELERY = str(Path(sys.executable).with_name("celery"))
DOCKER = "/usr/bin/docker"  # Debian's docker.io client
REDIS_DB = 11


class System:
    """Start with ``with System(settings, buildqd=1) as system:``."""

    def __init__(self, base: Settings, buildqd: int = 1) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="rb-bench-"))
        self.settings = base.with_overrides(
            database_url=f"sqlite:///{self.root / 'bench.db'}", archive_dir=self.root / "archive",
            redis_url=base.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}",
            secret_store_key=Fernet.generate_key().decode())
        self.run_id = uuid.uuid4().hex[:8]
        self.buildqd_count = buildqd
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> System:
        from app import create_app
        from app.serving import make_server
        from core.db.migrate import upgrade
        from tasks.celery_app import make_celery

        self.celery = make_celery(f"bench-{self.run_id}")
        self.celery.conf.broker_url = self.celery.conf.result_backend = self.settings.redis_url
        self.queues = {"compile": f"compile-{self.run_id}", "buildqd": f"buildqd-{self.run_id}"}
        self.celery.conf.task_routes = {"tasks.compile.*": {"queue": self.queues["compile"]},
                                        "tasks.build.*": {"queue": self.queues["buildqd"]}}
        self.app = create_app(self.settings)
        services = self.app.extensions["rb.services"]
        services.__dict__["celery"] = self.celery
        upgrade(services.engine)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per poll otherwise
        port = _free_port()
        self.server = make_server("127.0.0.1", port, self.app)
        gcsettle.settle()  # as python -m app does once the app is made
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{port}"
        self.start_worker("compile", 2)
        for _ in range(self.buildqd_count):
            self.start_worker("buildqd", 1)
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
        self.server.shutdown()
        self.app.extensions["rb.services"].engine.dispose()
        shutil.rmtree(self.root, ignore_errors=True)

    def start_worker(self, kind: str, concurrency: int) -> None:
        env = {**os.environ, **self.settings.as_env()}
        log = open(self.root / f"{kind}-{len(self.procs)}.log", "ab")
        self.procs.append(subprocess.Popen(
            [CELERY, "-A", "tasks.worker:app", "worker", "-Q", self.queues[kind],
             "-n", f"{kind}-{self.run_id}-{len(self.procs)}@%h", "--concurrency",
             str(concurrency), "--pool", "prefork", "--without-gossip", "--without-mingle",
             "--loglevel", "WARNING"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
        deadline = time.monotonic() + 60
        want = sum(1 for p in self.procs if f"-Q {self.queues[kind]}" in " ".join(p.args))
        while time.monotonic() < deadline:
            replies = self.celery.control.inspect(timeout=1.0).active_queues() or {}
            consumers = sum(1 for qs in replies.values()
                            if any(q["name"] == self.queues[kind] for q in qs))
            if consumers >= want:
                return
            time.sleep(0.2)
        raise RuntimeError(f"no {kind} worker came up; see {self.root}")

    def team(self, limit: int = 16) -> tuple[str, dict]:
        """A team with a high concurrency limit; returns (slug, auth headers)."""
        from app.api import accounts

        services = self.app.extensions["rb.services"]
        with services.sessions() as session:
            team = accounts.create_team(session, f"bench{uuid.uuid4().hex[:8]}")
            team.concurrency_limit = limit
            token = accounts.team_token(session, team)
            session.commit()
            return team.slug, {"Authorization": f"Bearer {token}"}

    def submit(self, headers: dict, recipe: str) -> str:
        resp = requests.post(f"{self.url}/api/v1/builds", json={"yaml": recipe},
                             headers=headers, timeout=30)
        resp.raise_for_status()
        return resp.json()["id"]

    def wait(self, headers: dict, build_id: str, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            build = requests.get(f"{self.url}/api/v1/builds/{build_id}", headers=headers,
                                 timeout=30).json()
            if build["terminal"]:
                if build["state"] != "succeeded":
                    raise RuntimeError(f"{build_id} {build['state']}: {build.get('error')}")
                return build
            time.sleep(0.02)
        raise RuntimeError(f"{build_id} did not end in {timeout}s")

    def build(self, headers: dict, recipe: str) -> float:
        """Seconds from the API submit to the image pushed (the build succeeded)."""
        started = time.perf_counter()
        self.wait(headers, self.submit(headers, recipe))
        return time.perf_counter() - started

    def rows(self) -> list[Build]:
        with self.app.extensions["rb.services"].sessions() as session:
            return list(session.query(Build))


def docker_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings pinned to the stack's dockerd and its embedded BuildKit (v0.8).

    The default engine is the stack's buildkitd (issue 15); the benchmarks whose
    baseline is the Docker CLI (``docker build``, ``docker push``, ``docker rm``)
    measure on Docker explicitly, whatever ``RB_BUILDKIT_ADDR`` says, so both sides
    share one daemon.  Docker's builder here has no network of its own for steps:
    host networking, allowed for these single-team bench runs only.
    """
    env = dict(os.environ if environ is None else environ)
    socket = Settings.from_env(env).docker_socket
    env.update(RB_BUILDKIT_ADDR=f"docker://{socket}", RB_NETWORK_MODE="host",
               RB_ALLOW_UNISOLATED_ENGINE="true")
    return Settings.from_env(env)


def busybox_recipe(settings: Settings, scripts: list[str]) -> str:
    steps = "".join(f"    - type: command\n      shell: /bin/sh -e {{}}\n      user: root\n"
                    f"      command: {script!r}\n" for script in scripts)
    return (f'version: "3"\nimage: {settings.registry}/library/busybox:latest\n'
            f"build:\n  steps:\n{steps}")


class DockerCli:
    """The Docker CLI on the same daemon, logged in to the registry (it requires tokens
    for every pull), with ``build_push`` of a Dockerfile into ``namespace``."""

    env = {**os.environ, "DOCKER_BUILDKIT": "1"}

    def __init__(self, settings: Settings, user: str, secret: str, namespace: str) -> None:
        self.settings, self.slug = settings, namespace
        self.config = Path(tempfile.mkdtemp(prefix="rb-bench-docker-"))
        self.docker = [DOCKER, "--config", str(self.config), "-H", settings.docker_host]
        subprocess.run([*self.docker, "login", "-u", user, "--password-stdin", settings.registry],
                       input=secret, text=True, check=True, capture_output=True)

    @classmethod
    def robot(cls, settings: Settings, team_slug: str) -> DockerCli:
        """Logged in as the team's robot, as a team's own CI would be."""
        from pipeline.registry_settings import registry_settings
        from registry.wiring import robot_credentials

        user, secret = robot_credentials(registry_settings(settings)).create(team_slug)
        return cls(settings, user, secret, team_slug)

    @classmethod
    def worker(cls, settings: Settings, team_slug: str) -> DockerCli:
        """Logged in with the credential a build worker derives for the team."""
        from pipeline.registry_settings import registry_settings
        from registry.wiring import team_worker_credentials

        workers = team_worker_credentials(registry_settings(settings))
        return cls(settings, *workers.for_team(team_slug), team_slug)

    def context(self, scripts: list[str], tag: str) -> Path:
        """A build context whose Dockerfile runs ``scripts`` on the bench's busybox."""
        context = self.config / f"ctx-{tag}"
        context.mkdir(exist_ok=True)
        (context / "Dockerfile").write_text(
            f"FROM {self.settings.registry}/library/busybox:latest\n"
            + "".join(f"RUN {s}\n" for s in scripts))
        return context

    def build_push(self, scripts: list[str], tag: str) -> float:
        context = self.context(scripts, tag)
        ref = f"{self.settings.registry}/{self.slug}/cli:{tag}"
        started = time.perf_counter()
        subprocess.run([*self.docker, "build", "-q", "--network", "host", "-t", ref,
                        str(context)], env=self.env, check=True, capture_output=True)
        subprocess.run([*self.docker, "push", ref], check=True, capture_output=True)
        return time.perf_counter() - started

    def close(self) -> None:
        shutil.rmtree(self.config, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
