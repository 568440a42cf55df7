"""Every setting of the system, read from ``RB_``-prefixed environment variables.

One frozen :class:`Settings` value is built from the environment (or a mapping in
tests) and handed down; nothing else in the tree reads ``os.environ`` for system
settings.  Defaults keep a fresh checkout working with the services the repo's own
``scripts/services`` starts: state lives under ``.state/`` in the checkout.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

PREFIX = "RB_"
REPO_ROOT = Path(__file__).resolve().parent.parent


# Names of the control-plane passwords the stack generates under ``<state>/secrets/``.
REDIS_SECRET = "redis-app"
POSTGRES_SECRET = "postgres-app"
FLOWER_SECRET = "flower-password"
# The stack's OpenBao: the AppRole credentials of the web tier and of the buildqd
# worker (role id, secret id), generated here and registered with the server by
# ``scripts/services up`` (the way PostgreSQL's role gets its generated password).
VAULT_WEB_ROLE_ID = "vault-web-role-id"
VAULT_WEB_SECRET_ID = "vault-web-secret-id"
VAULT_BUILD_ROLE_ID = "vault-build-role-id"
VAULT_BUILD_SECRET_ID = "vault-build-secret-id"
POSTGRES_APP_ROLE = "recipe_builder"
POSTGRES_APP_DATABASE = "recipe_builder"


def generated_secret(state_dir: Path, name: str) -> str:
    """A password of the local stack, made on first use and kept in ``<state>/secrets``.

    Redis, PostgreSQL and Flower require passwords even on loopback (build steps are
    hostile; see docs/operations.md), so the defaults must carry them.  The file is
    created 0600 atomically: concurrent first users all read the same value.
    """
    path = state_dir / "secrets" / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    candidate = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(24) + "\n")
    try:
        os.link(candidate, path)  # fails if another process won the race: use theirs
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    return path.read_text().strip()


#: Layer compressions buildkitd can write: gzip (every client pulls it), zstd (faster to
#: write and smaller; pulled by Docker 23+ and containerd, not by Docker 20.10),
#: uncompressed (no compression time, about 2.5x the bytes to push and store).
LAYER_COMPRESSIONS = ("gzip", "zstd", "uncompressed")


def _compression(value: str) -> str:
    """One of :data:`LAYER_COMPRESSIONS` (checked here, so a typo stops the worker at start)."""
    if value in LAYER_COMPRESSIONS:
        return value
    raise ValueError(f"RB_LAYER_COMPRESSION must be one of {', '.join(LAYER_COMPRESSIONS)}, "
                     f"not {value!r}")


def _compression_level(value: str) -> str:
    """``default`` or a gzip level 0-9 (checked here, so a typo stops the worker at start)."""
    if value == "default" or (value.isdigit() and 0 <= int(value) <= 9):
        return value
    raise ValueError(f"RB_LAYER_COMPRESSION_LEVEL must be 0-9 or 'default', not {value!r}")


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """System settings; each field ``name`` comes from ``RB_<NAME>``."""

    state_dir: Path
    cache_dir: Path
    redis_url: str
    database_url: str
    postgres_url: str
    docker_socket: Path
    buildkit_addr: str
    network_mode: str
    allow_unisolated_engine: bool
    registry: str
    registry_url: str
    registry_service: str
    registry_issuer: str
    registry_system_user: str
    registry_realm: str
    registry_token_ttl_s: int
    web_host: str
    web_port: int
    web_read_timeout_s: float
    public_url: str
    flower_port: int
    vault_addr: str
    vault_token: str
    vault_mount: str
    vault_web_role_id: str
    vault_web_secret_id: str
    vault_build_role_id: str
    vault_build_secret_id: str
    vault_token_ttl_s: int
    secret_store_key: str
    s3_endpoint: str
    s3_bucket: str
    s3_region: str
    archive_dir: Path
    default_base_image: str
    dzlaunch_image: str
    build_timeout_s: int
    log_cap_bytes: int
    layer_compression: str
    layer_compression_level: str
    flask_secret_key: str
    debian_mirror: str
    debug: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: the process environment)."""
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str | Callable[[], str]) -> str:
            value = env.get(PREFIX + name.upper())
            if value is None or value == "":
                # A callable default runs only when needed: generated passwords are
                # made only when no URL is configured.
                return default() if callable(default) else default
            return value

        state = Path(get("state_dir", str(REPO_ROOT / ".state"))).resolve()
        cache = Path(get("cache_dir", str(Path.home() / ".cache" / "recipe-builder")))
        docker_socket = Path(get("docker_socket", str(state / "docker" / "docker.sock")))
        buildkit_addr = get("buildkit_addr",
                            f"unix://{state / 'buildkitd' / 'buildkitd.sock'}")
        registry = get("registry", "127.0.0.1:5000")
        web_host = get("web_host", "127.0.0.1")
        web_port = int(get("web_port", "8000"))
        # Docker's embedded BuildKit on a --bridge=none daemon cannot run execs with
        # the default (bridge) network, so it needs host networking (and is refused for
        # teams unless RB_ALLOW_UNISOLATED_ENGINE says otherwise); the stack's buildkitd
        # runs every step on its isolated bridge, which "unset" selects.
        network_default = "host" if buildkit_addr.startswith("docker://") else "unset"
        return cls(
            state_dir=state,
            cache_dir=cache,
            redis_url=get("redis_url", lambda: (
                f"redis://app:{generated_secret(state, REDIS_SECRET)}@127.0.0.1:6379/0")),
            database_url=get("database_url", f"sqlite:///{state / 'recipe-builder.db'}"),
            postgres_url=get("postgres_url", lambda: (
                f"postgresql+psycopg://{POSTGRES_APP_ROLE}:"
                f"{generated_secret(state, POSTGRES_SECRET)}@127.0.0.1:5432/"
                f"{POSTGRES_APP_DATABASE}")),
            docker_socket=docker_socket,
            buildkit_addr=buildkit_addr,
            network_mode=get("network_mode", network_default),
            allow_unisolated_engine=_bool(get("allow_unisolated_engine", "false")),
            registry=registry,
            registry_url=get("registry_url", f"http://{registry}"),
            registry_service=get("registry_service", "recipe-builder-registry"),
            registry_issuer=get("registry_issuer", "recipe-builder"),
            registry_system_user=get("registry_system_user", "system"),
            # The token endpoint is served by the web app (app/registry_token.py);
            # the Docker daemon, not the registry, must be able to reach it.  The stack
            # runs it on a port of its own so the registry works before (and without)
            # the web process of the Procfile.
            registry_realm=get("registry_realm", f"http://{web_host}:5001/v2/token"),
            registry_token_ttl_s=int(get("registry_token_ttl_s", "300")),
            web_host=web_host,
            web_port=web_port,
            # A client's next bytes are awaited this long before its connection is closed
            # (a stalled body gets a 408): a slow client cannot hold a thread forever.
            web_read_timeout_s=float(get("web_read_timeout_s", "20")),
            public_url=get("public_url", f"http://{web_host}:{web_port}"),
            flower_port=int(get("flower_port", "5555")),
            # The stack's OpenBao is the default store; RB_VAULT_ADDR set but empty
            # selects the local encrypted store instead (so unset and empty differ).
            vault_addr=env.get(PREFIX + "VAULT_ADDR", "http://127.0.0.1:8200"),
            vault_token=get("vault_token", ""),
            vault_mount=get("vault_mount", "secret"),
            vault_web_role_id=get("vault_web_role_id",
                                  lambda: generated_secret(state, VAULT_WEB_ROLE_ID)),
            vault_web_secret_id=get("vault_web_secret_id",
                                    lambda: generated_secret(state, VAULT_WEB_SECRET_ID)),
            vault_build_role_id=get("vault_build_role_id",
                                    lambda: generated_secret(state, VAULT_BUILD_ROLE_ID)),
            vault_build_secret_id=get("vault_build_secret_id",
                                      lambda: generated_secret(state, VAULT_BUILD_SECRET_ID)),
            vault_token_ttl_s=int(get("vault_token_ttl_s", "300")),
            secret_store_key=get("secret_store_key", ""),
            s3_endpoint=get("s3_endpoint", ""),
            s3_bucket=get("s3_bucket", ""),
            s3_region=get("s3_region", "us-east-1"),
            archive_dir=Path(get("archive_dir", str(state / "archive"))),
            default_base_image=get("default_base_image", f"{registry}/library/devbox:bookworm"),
            dzlaunch_image=get("dzlaunch_image",
                               f"{registry}/library/dzlaunch:{dzlaunch_version()}"),
            build_timeout_s=int(get("build_timeout_s", "3600")),
            log_cap_bytes=int(get("log_cap_bytes", str(256 * 1024 * 1024))),
            # gzip level of the layers buildkitd pushes: 1 compresses a typical layer
            # about 10 % worse than the default (6) in a third of the time, and the push
            # is most of a cold build's export (docs/operations.md).
            layer_compression=_compression(get("layer_compression", "gzip")),
            layer_compression_level=_compression_level(get("layer_compression_level", "1")),
            flask_secret_key=get("flask_secret_key", "dev-only-change-me"),
            # Empty: the devbox image is made from the mirror this machine's apt uses.
            debian_mirror=get("debian_mirror", ""),
            debug=_bool(get("debug", "false")),
        )

    @property
    def compression_level(self) -> int | None:
        """The level for pushed layers; None leaves the daemon's default."""
        level = self.layer_compression_level
        return None if level == "default" else int(level)

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (tests, second registries)."""
        return replace(self, **changes)

    def as_env(self) -> dict[str, str]:
        """The settings as ``RB_*`` variables, for child processes."""
        return {PREFIX + f.name.upper(): str(getattr(self, f.name)) for f in fields(self)}

    @property
    def engine_is_docker(self) -> bool:
        """Builds run on Docker's embedded BuildKit (v0.8), not a standalone buildkitd."""
        return self.buildkit_addr.startswith("docker://")

    def unisolated_engine_refusal(self) -> str | None:
        """Why a worker must not build team recipes on this engine, or None.

        Docker's embedded BuildKit here has no network of its own for steps (host
        networking only), and host networking is never granted to team builds: a step
        could reach Redis, PostgreSQL, Flower and the token service on loopback.
        """
        if self.allow_unisolated_engine:
            return None
        if self.engine_is_docker:
            return (f"{self.buildkit_addr} runs build steps on the host network, where they "
                    "reach the control plane; use the stack's buildkitd, or set "
                    "RB_ALLOW_UNISOLATED_ENGINE=true for a single-team deployment")
        if self.network_mode == "host":
            return ("RB_NETWORK_MODE=host gives build steps the host network; unset it, or "
                    "set RB_ALLOW_UNISOLATED_ENGINE=true for a single-team deployment")
        return None

    @property
    def docker_host(self) -> str:
        """The Engine API address (``unix://`` URL) of the repo-started dockerd."""
        return f"unix://{self.docker_socket}"


def dzlaunch_version() -> str:
    """The launcher's version, from ``dzlaunch/VERSION`` (tags its image)."""
    path = REPO_ROOT / "dzlaunch" / "VERSION"
    try:
        return path.read_text().strip() or "0"
    except FileNotFoundError:
        return "0"
