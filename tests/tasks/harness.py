"""A real pipeline for tests: a fresh database, real Redis, real Celery workers.

Workers are subprocesses (``celery -A tasks.worker:app worker``) on queue names
unique to this run and a Redis database index of their own, so parallel runs never
take each other's tasks.  Never eager mode.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.config import REPO_ROOT, Settings
from core.db import TERMINAL_STATES, Build, BuildStep, Team
from core.db.migrate import upgrade
from pipeline.services import Services
from pipeline.submit import submit_build
from tasks.celery_app import make_celery
from tasks.dispatch import CeleryDispatch
from tests.conftest import need, tcp_open

#: The Redis database index the pipeline tests use (core's tests use 14).
REDIS_DB = 12
CELERY = str(Path(sys.executable).with_name("celery"))


def pipeline_settings(base: Settings, root: Path, database_url: str | None = None) -> Settings:
    redis_url = base.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    return base.with_overrides(
        database_url=database_url or f"sqlite:///{root / 'records.db'}",
        archive_dir=root / "archive", redis_url=redis_url,
        secret_store_key=Fernet.generate_key().decode())


@dataclass
class Pipeline:
    """Settings, services, a test-side Celery app and the worker processes."""

    settings: Settings
    services: Services
    root: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    #: Prefix of every worker command (the fault tests run them under scripts/supervise).
    launcher: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.compile_queue = f"compile-{self.run_id}"
        self.build_queue = f"buildqd-{self.run_id}"
        self.app = make_celery(f"test-{self.run_id}")
        self.app.conf.broker_url = self.app.conf.result_backend = self.settings.redis_url
        self.dispatch = CeleryDispatch(self.app)
        self.app.conf.task_routes = {"tasks.compile.*": {"queue": self.compile_queue},
                                     "tasks.build.*": {"queue": self.build_queue},
                                     "tasks.maintenance.*": {"queue": self.compile_queue}}

    # Workers ------------------------------------------------------------------------

    def start_worker(self, kind: str, concurrency: int = 1,
                     settings: Settings | None = None) -> subprocess.Popen:
        """Start a worker; ``settings`` overrides the pipeline's (another build host)."""
        queue = self.compile_queue if kind == "compile" else self.build_queue
        env = {**os.environ, **(settings or self.settings).as_env(), "PYTHONUNBUFFERED": "1"}
        log = open(self.root / f"worker-{kind}-{len(self.workers)}.log", "ab")
        proc = subprocess.Popen(
            [*self.launcher, CELERY, "-A", "tasks.worker:app", "worker", "-Q", queue,
             "-n", f"{kind}-{self.run_id}-{len(self.workers)}@%h", "--concurrency",
             str(concurrency), "--pool", "prefork", "--without-gossip", "--without-mingle",
             "--loglevel", "INFO"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.workers[kind] = proc
        self._wait_ready(queue)
        return proc

    def _wait_ready(self, queue: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.app.control.inspect(timeout=1.0).active_queues() or {}
            if any(q["name"] == queue for qs in replies.values() for q in qs):
                return
            time.sleep(0.3)
        pytest.fail(f"no worker consumes {queue}; see {self.root}")

    def kill_worker(self, kind: str, sig: int = signal.SIGKILL) -> None:
        proc = self.workers.pop(kind)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop(self) -> None:
        for kind in list(self.workers):
            proc = self.workers[kind]
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill_worker(kind)
            self.workers.pop(kind, None)

    # Records ------------------------------------------------------------------------

    def team(self, *, limit: int = 2, timeout_s: int = 3600) -> Team:
        with self.services.sessions() as session:
            team = Team(slug=f"t{uuid.uuid4().hex[:10]}", name="pipeline test",
                        concurrency_limit=limit, build_timeout_s=timeout_s)
            session.add(team)
            session.commit()
            return team

    def put_secret(self, team: Team, name: str, value: str) -> int:
        """Store a value and record its name and version, as the API does."""
        from core.teamsecrets import set_secret

        with self.services.sessions() as session:
            version = set_secret(session, self.services.secret_store, team.id, name, value)
            session.commit()
        return version

    def submit(self, team: Team, recipe_yaml: str) -> str:
        with self.services.sessions() as session:
            return submit_build(session, self.dispatch, self.settings, team_id=team.id,
                                recipe_yaml=recipe_yaml).id

    def build(self, build_id: str) -> Build:
        with self.services.sessions() as session:
            build = session.get(Build, build_id)
            _ = build.steps
            return build

    def steps(self, build_id: str) -> list[BuildStep]:
        with self.services.sessions() as session:
            return list(session.scalars(select(BuildStep).where(BuildStep.build_id == build_id)
                                        .order_by(BuildStep.position)))

    def wait(self, build_id: str, states=TERMINAL_STATES, timeout: float = 300) -> Build:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            build = self.build(build_id)
            if build.state in states:
                return build
            time.sleep(0.1)
        pytest.fail(f"{build_id} still {self.build(build_id).state} after {timeout}s; "
                    f"logs in {self.root}")

    def archived(self, build_id: str, timeout: float = 30) -> bool:
        """Whether the log gets archived within ``timeout``: the worker archives right
        after the END event, a moment after the record turned terminal."""
        return self._log_reaches(build_id, "archived", timeout)

    def _log_reaches(self, build_id: str, flag: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = self.services.bus.stats(build_id)
            if stats is not None and getattr(stats, flag):
                return True
            time.sleep(0.05)
        return False

    def wait_for_log(self, build_id: str, needle: str, timeout: float = 180) -> None:
        """Until ``needle`` is in the build's log; fails at once if the build ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log_text(build_id):
                return
            build = self.build(build_id)
            if build.state in TERMINAL_STATES:
                raise AssertionError(f"{build_id} ended before {needle!r}: "
                                     f"{build.error_message}")
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never appeared in {build_id}'s log")

    def log_text(self, build_id: str) -> str:
        """The log as plain text; for a build that ended, once its log has ended too.

        The worker commits the terminal state first and writes the closing lines (the
        error, "Build failed with code N") a moment later: reading at once could miss them.
        """
        from core.logevents import raw_text

        if self.build(build_id).state in TERMINAL_STATES:
            self._log_reaches(build_id, "ended", timeout=30)
        return b"".join(raw_text(self.services.bus.read(build_id))).decode("utf-8", "replace")


def make_pipeline(settings: Settings, root: Path, database_url: str | None = None) -> Pipeline:
    need(tcp_open("127.0.0.1", int(settings.registry.rsplit(":", 1)[1])),
         f"the registry is not answering at {settings.registry}")
    ps = pipeline_settings(settings, root, database_url)
    services = Services.from_settings(ps)
    upgrade(services.engine)
    return Pipeline(ps, services, root)


def ensure_dzlaunch_image(settings: Settings) -> str:
    """The pinned dzlaunch image must exist; seed it from the built binary if needed."""
    from pipeline.registry_settings import registry_settings
    from registry.errors import RegistryError
    from registry.naming import parse_ref
    from registry.wiring import system_client
    from stack import images
    from stack.layout import Layout

    ref = parse_ref(settings.dzlaunch_image)
    with system_client(registry_settings(settings)) as client:
        try:
            return client.resolve(ref)
        except RegistryError:
            pass
        binary = REPO_ROOT / "dzlaunch" / "out" / "dzlaunch"
        need(binary.exists(), f"{settings.dzlaunch_image} is not seeded and {binary} is absent")
        (launcher,) = [i for i in images.base_images(ref.tag) if i.repository == ref.repository]
        images.seed(Layout(settings), launcher)
        return client.resolve(ref)


@pytest.fixture(scope="module")
def pipeline(settings, redis_url, build_engine, tmp_path_factory):
    """Compile and buildqd workers (buildqd with 2 processes) on queues of this module."""
    ensure_dzlaunch_image(settings)
    pipe = make_pipeline(settings, tmp_path_factory.mktemp("pipeline"))
    pipe.start_worker("compile", concurrency=1)
    pipe.start_worker("buildqd", concurrency=2)
    yield pipe
    pipe.stop()


BUSYBOX_RECIPE = """\
version: "3"
image: {registry}/library/busybox:latest
build:
  steps:
{steps}
"""


def secret_ref(name: str) -> str:
    """A recipe's reference to the team secret ``name``."""
    return "{{secret:team." + name + "}}"


def command_step(command: str, env: dict[str, str] | None = None,
                 mounts: dict[str, str] | None = None) -> str:
    """One root ``/bin/sh`` command step of :data:`BUSYBOX_RECIPE`, as its YAML lines.

    ``env`` maps variable names to values and ``mounts`` secret-mount paths to values
    (:func:`secret_ref` for a team secret).  JSON strings are YAML double-quoted
    scalars, so any command text survives as written.
    """
    lines = ["    - type: command", "      shell: /bin/sh -e {}", "      user: root"]
    if env:
        lines.append("      environment:")
        lines += [f"        - name: {name}\n          value: {json.dumps(value)}"
                  for name, value in env.items()]
    if mounts:
        lines.append("      secret_mounts:")
        lines += [f"        - path: {path}\n          value: {json.dumps(value)}"
                  for path, value in mounts.items()]
    lines.append(f"      command: {json.dumps(command)}")
    return "\n".join(lines) + "\n"


def busybox_recipe(settings: Settings, *scripts: str) -> str:
    """A busybox recipe with one ``/bin/sh`` command step per script."""
    steps = "".join(command_step(script) for script in scripts)
    return BUSYBOX_RECIPE.format(registry=settings.registry, steps=steps)
