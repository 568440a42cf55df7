"""Cross-team isolation through the system's own paths, and a canary scan of every sink.

Team A builds with a secret through the API (the pipeline on real Celery workers,
BuildKit and the token-auth registry).  Team B then tries, with its own API token and
the registry robot credentials the API hands it, to reach everything of A's: builds,
logs (plain, followed, websocket), recipes, plans, secrets, env, tokens, A's image,
its tags, its cache ref, blob mounts out of its repository, and A's images or
secrets from a recipe.  Every attempt is refused and A's state is unchanged.

tests/registry/test_isolation.py proves the registry's rules with hand-made
credentials; here only what the running system issues and exposes is used.
"""

from __future__ import annotations

import base64
import gzip
import re
import secrets
import threading
import uuid

import pytest
import redis as redis_lib
import websocket
from sqlalchemy import text

from registry.auth import Credentials
from registry.client import RegistryClient
from registry.errors import Denied, NotFound, Unauthorized
from registry.naming import parse_ref
from tests.app.pipekit import *  # noqa: F403
from tests.conftest import pushed_image_bytes
from tests.tasks.harness import command_step, secret_ref


def secret_step(token: str) -> str:
    """A step that reads CANARY from its environment and a secret mount, and prints it
    base64-encoded: the canary scans look for that form too."""
    return command_step(f'test "$(cat /run/canary)" = "$CANARY"\n'
                        f'echo "canary length ${{#CANARY}} {token}"\necho "$CANARY" | base64\n',
                        env={"CANARY": secret_ref("CANARY")},
                        mounts={"/run/canary": secret_ref("CANARY")})


class RedisMonitor(threading.Thread):
    """Every command the Redis server receives while running (Celery messages, results,
    log appends, locks), from any client: the broker and bus seen from the inside."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.client = redis_lib.Redis.from_url(url)
        self.commands: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.client.monitor() as monitor:
            for command in monitor.listen():
                self.commands.append(command["command"])
                if self.stopping.is_set():
                    return

    def stop(self) -> bytes:
        self.stopping.set()
        self.client.ping()  # one more command wakes the listener
        self.join(timeout=10)
        return "\n".join(self.commands).encode("utf-8", "replace")


def with_decoded(data: bytes) -> bytes:
    """``data`` plus the decoding of every base64 run in it: Celery message bodies and
    ``data_b64`` log fields hide text that way."""
    decoded = []
    for run in re.findall(rb"[A-Za-z0-9+/=_-]{16,}", data):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded.append(decode(run + b"=" * (-len(run) % 4)))
            except ValueError:
                pass
    return data + b"\n" + b"\n".join(decoded)


def database_text(stack) -> bytes:
    """Every row of every table of the build records (PostgreSQL), as JSON text."""
    engine = stack.pipeline.services.engine
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")).scalars().all()
        rows = [conn.execute(text(f'SELECT row_to_json(t)::text FROM "{t}" t')).scalars().all()
                for t in tables]
        definitions = conn.execute(text("SELECT definition FROM builds")).scalars().all()
    return ("\n".join(r for table in rows for r in table)).encode() + b"".join(
        bytes(d) for d in definitions if d)


@pytest.fixture(scope="module")
def world(stack, docker_socket):
    """Team A built a saved recipe that reads secret CANARY; team B exists."""
    a, b = stack.team(), stack.team()
    canary = f"canary-{secrets.token_hex(16)}"
    token = uuid.uuid4().hex[:8]
    monitor = RedisMonitor(stack.settings.redis_url)
    monitor.start()
    assert stack.api(a, "PUT", "/team/secrets/CANARY", json={"value": canary}).status_code == 201
    assert stack.api(a, "PUT", "/team/env/PLAIN", json={"value": "a-plain"}).status_code in (
        200, 201)
    recipe_yaml = stack.recipe(f"echo team-a-line-{token}") + secret_step(token)
    recipe = stack.api(a, "POST", "/recipes", json={"name": "private", "yaml": recipe_yaml})
    assert recipe.status_code == 201, recipe.text
    recipe = recipe.json()
    build = stack.api(a, "POST", "/builds", json={"recipe_id": recipe["id"]}).json()
    done = stack.wait(a, build["id"])
    assert done["state"] == "succeeded", done
    creds_a = stack.api(a, "POST", "/team/registry-credentials").json()
    creds_b = stack.api(b, "POST", "/team/registry-credentials").json()
    sinks = {"redis commands (Celery messages, results, log bus)": monitor.stop()}
    return dict(a=a, b=b, canary=canary, token=token, recipe=recipe, build=done,
                creds_a=creds_a, creds_b=creds_b, monitor_sinks=sinks)


def error_of(build: dict) -> str:
    return (build.get("error") or {}).get("message") or ""


def registry_client(stack, creds: dict) -> RegistryClient:
    return RegistryClient(stack.settings.registry_url,
                          Credentials(creds["username"], creds["password"]))


# API ------------------------------------------------------------------------------------

def a_ids(world) -> dict:
    return {"build": world["build"]["id"], "recipe": world["recipe"]["id"],
            "version": world["recipe"].get("latest_version", {}).get("id", "recipe-version-x")}


API_ATTEMPTS = {
    "read A's build": ("GET", "/builds/{build}", None),
    "read A's log": ("GET", "/builds/{build}/logs", None),
    "read A's log as JSON from seq 1": ("GET", "/builds/{build}/logs?format=json&from=1", None),
    "follow A's log": ("GET", "/builds/{build}/logs?follow=1", None),
    "cancel A's build": ("POST", "/builds/{build}/cancel", None),
    "read A's recipe": ("GET", "/recipes/{recipe}", None),
    "overwrite A's recipe": ("PUT", "/recipes/{recipe}", {"yaml": 'version: "3"\n'}),
    "delete A's recipe": ("DELETE", "/recipes/{recipe}", None),
    "list A's recipe versions": ("GET", "/recipes/{recipe}/versions", None),
    "read A's recipe version 1": ("GET", "/recipes/{recipe}/versions/1", None),
    "plan A's recipe": ("POST", "/recipes/{recipe}/plan", {}),
    "build A's recipe": ("POST", "/builds", {"recipe_id": "{recipe}"}),
}


@pytest.mark.parametrize("attempt", API_ATTEMPTS)
def test_team_b_cannot_reach_team_a_through_the_api(stack, world, attempt):
    method, path, body = API_ATTEMPTS[attempt]
    ids = a_ids(world)
    if body:
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    resp = stack.api(world["b"], method, path.format(**ids), json=body)
    assert resp.status_code == 404, (attempt, resp.status_code, resp.text[:300])
    assert world["token"] not in resp.text and world["canary"] not in resp.text
    # A's things are as A left them.
    assert stack.api(world["a"], "GET", f"/builds/{ids['build']}").json()["state"] == "succeeded"
    assert stack.api(world["a"], "GET", f"/recipes/{ids['recipe']}").status_code == 200


def test_team_b_lists_none_of_team_a(stack, world):
    b = world["b"]
    assert stack.api(b, "GET", "/builds").json()["builds"] == []
    assert stack.api(b, "GET", "/recipes").json()["recipes"] == []
    listed = stack.api(b, "GET", "/team/secrets").json()["secrets"]
    assert all(s["name"] != "CANARY" for s in listed)
    env = stack.api(b, "GET", "/team/env").text
    assert "PLAIN" not in env and "a-plain" not in env


def test_team_b_cannot_delete_team_a_secret_or_tokens(stack, world):
    b, a = world["b"], world["a"]
    assert stack.api(b, "DELETE", "/team/secrets/CANARY").status_code == 404
    assert stack.api(b, "DELETE", "/team/env/PLAIN").status_code == 404
    tokens = stack.api(a, "GET", "/team/tokens").json()["tokens"]
    assert tokens
    for token in tokens:
        assert stack.api(b, "DELETE", f"/team/tokens/{token['id']}").status_code == 404
    kept = stack.api(a, "GET", "/team/secrets").json()["secrets"]
    assert any(s["name"] == "CANARY" for s in kept)
    assert len(stack.api(a, "GET", "/team/tokens").json()["tokens"]) == len(tokens)


def test_team_b_recipe_naming_a_secret_it_lacks_never_gets_team_a_value(stack, world):
    b = world["b"]
    recipe = stack.recipe("true") + secret_step("b-try")
    resp = stack.api(b, "POST", "/builds", json={"yaml": recipe})
    if resp.status_code == 201:
        done = stack.wait(b, resp.json()["id"])
        assert done["state"] == "failed", done
        log = stack.api(b, "GET", f"/builds/{done['id']}/logs").text
        assert "CANARY" in error_of(done) + log
        assert world["canary"] not in log
    else:
        assert resp.status_code in (400, 422) and "CANARY" in resp.text, resp.text


def test_team_b_recipe_cannot_use_team_a_image_as_its_base(stack, world):
    b = world["b"]
    image = world["build"]["image_ref"]
    recipe = stack.recipe("true").replace(
        f"image: {stack.settings.registry}/library/busybox:latest", f"image: {image}")
    resp = stack.api(b, "POST", "/builds", json={"yaml": recipe})
    if resp.status_code == 201:
        done = stack.wait(b, resp.json()["id"])
        assert done["state"] == "failed", done
        # Refused either when the base is resolved (the registry denies B a pull of
        # A's repository) or by the compiler's namespace rule.
        assert any(w in error_of(done) for w in ("namespace", "insufficient_scope")), done
    else:
        assert resp.status_code in (400, 422) and "namespace" in resp.text, resp.text


# Websocket -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["bearer header", "token query"])
def test_team_b_cannot_open_team_a_log_websocket(stack, world, how):
    url = stack.url.replace("http", "ws") + f"/ws/builds/{world['build']['id']}/logs"
    header = []
    if how == "bearer header":
        header = [f"Authorization: Bearer {world['b'].token}"]
    else:
        url += f"?token={world['b'].token}"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, header=header, timeout=20)
    assert refused.value.status_code == 404
    assert world["token"].encode() not in (refused.value.resp_body or b"")


# Registry, with the credentials the API issued -----------------------------------------

def registry_attempts(world) -> dict:
    ref = parse_ref(world["build"]["image_ref"])
    repo = ref.repository
    b_repo = f"{repo.split('/')[0].replace(world['a'].slug, world['b'].slug)}/stolen"
    return {
        "pull A's manifest": lambda c: c.get_manifest(repo, ref.tag),
        "pull A's cache ref": lambda c: c.get_manifest(repo, "cache"),
        "pull A's latest": lambda c: c.get_manifest(repo, "latest"),
        "list A's tags": lambda c: c.list_tags(repo),
        "push a blob into A's repository": lambda c: c.upload_blob(repo, b"trojan"),
        "mount A's layer into B's repository": lambda c: _mount_first_layer(c, world, repo,
                                                                           b_repo),
    }


def client_url(world) -> str:
    return "http://" + parse_ref(world["build"]["image_ref"]).registry


def _mount_first_layer(client, world, repo, b_repo):
    owner = RegistryClient(client_url(world), Credentials(world["creds_a"]["username"],
                                                        world["creds_a"]["password"]))
    digest = owner.get_manifest(repo, "latest").blobs()[-1]
    mounted = client.mount_blob(b_repo, digest, repo)
    present = client.blob_exists(b_repo, digest)
    if not mounted and not present:
        raise Denied(401, "mount refused")
    return mounted


@pytest.mark.parametrize("attempt", ["pull A's manifest", "pull A's cache ref",
                                     "pull A's latest", "list A's tags",
                                     "push a blob into A's repository",
                                     "mount A's layer into B's repository"])
def test_team_b_registry_credentials_cannot_reach_team_a(stack, world, attempt):
    client = registry_client(stack, world["creds_b"])
    with pytest.raises((Denied, Unauthorized, NotFound)):
        registry_attempts(world)[attempt](client)
    # A still reads its own image.
    ref = parse_ref(world["build"]["image_ref"])
    assert registry_client(stack, world["creds_a"]).get_manifest(ref.repository, ref.tag)


def test_team_b_docker_pull_of_team_a_image_is_denied(stack, world, docker_socket, tmp_path):
    import subprocess

    config = tmp_path / "docker"
    docker = ["/usr/bin/docker", "--config", str(config), "-H", stack.settings.docker_host]
    login = subprocess.run([*docker, "login", "-u", world["creds_b"]["username"],
                            "--password-stdin", stack.settings.registry],
                           input=world["creds_b"]["password"], capture_output=True, text=True,
                           timeout=60)
    assert login.returncode == 0, login.stderr
    pull = subprocess.run([*docker, "pull", world["build"]["image_ref"]], capture_output=True,
                          text=True, timeout=120)
    assert pull.returncode != 0
    assert "denied" in (pull.stderr + pull.stdout).lower() or \
        "unauthorized" in (pull.stderr + pull.stdout).lower(), pull.stderr


# Canary scan ---------------------------------------------------------------------------

def test_the_secret_is_nowhere_but_where_it_was_used(stack, world, docker_socket):
    canary = world["canary"]
    a, build = world["a"], world["build"]
    log_text = stack.api(a, "GET", f"/builds/{build['id']}/logs").text
    assert f"canary length {len(canary)} {world['token']}" in log_text, log_text  # served
    ws = websocket.create_connection(
        stack.url.replace("http", "ws") + f"/ws/builds/{build['id']}/logs?format=raw",
        header=[f"Authorization: Bearer {a.token}"], timeout=20)
    ws_bytes = []
    try:
        while True:
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            ws_bytes.append(data)
    except websocket.WebSocketConnectionClosedException:
        pass
    archive = b"".join(gzip.decompress(p.read_bytes())
                       for p in stack.settings.archive_dir.rglob("*.gz"))
    workers = b"".join(p.read_bytes() for p in stack.pipeline.root.glob("worker-*.log"))
    image = pushed_image_bytes(stack.settings, build["image_ref"])
    sinks = {
        **world["monitor_sinks"],
        "database rows and stored LLB definitions": database_text(stack),
        "API log (text and JSON)": (log_text + stack.api(
            a, "GET", f"/builds/{build['id']}/logs?format=json").text).encode(),
        "websocket frames": b"".join(ws_bytes),
        "archived logs": archive,
        "worker logs": workers,
        "image layers, config and history": image,
    }
    assert all(len(data) > 200 for data in sinks.values()), {k: len(v) for k, v in sinks.items()}
    # The scan saw the build's own traffic: its Celery messages (task ids carry the
    # build id) and its records.
    for where in ("redis commands (Celery messages, results, log bus)",
                  "database rows and stored LLB definitions"):
        assert build["id"].encode() in with_decoded(sinks[where]), where
    needles = [canary.encode(), base64.b64encode(canary.encode()),
               base64.b64encode((canary + "\n").encode())]
    for where, data in sinks.items():
        scanned = with_decoded(data) if where != "image layers, config and history" else data
        hits = [n for n in needles if n in scanned]
        assert not hits, f"the secret's value was found in {where}"

