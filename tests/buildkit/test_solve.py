"""Solves on a real daemon: secrets, image config, push and pull back, events."""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest

import buildkit
from buildkit.progress import LogChunk, VertexCached, VertexCompleted, VertexStarted
from buildkit.render import PlainRenderer, to_json
from pipeline.registry_settings import registry_settings
from registry.naming import parse_ref
from registry.wiring import system_client
from tests.conftest import pushed_image_bytes


def test_list_workers_names_a_worker_with_a_linux_platform(client, daemon):
    workers = client.list_workers()
    assert workers and any(p.startswith("linux/") for w in workers for p in w.platforms)
    assert client.info.kind == daemon.kind
    if daemon.kind == "docker":
        assert [w.id for w in workers] == ["moby"]


def test_secret_is_readable_in_the_step_and_absent_from_logs_and_image(
        client, daemon, graph, busybox, solve_options, settings):
    value = f"s3cr3t-{secrets.token_hex(8)}"
    expected = hashlib.sha256(value.encode()).hexdigest()
    # The step fails unless it can read the value; only its hash enters the LLB.
    check = (f'test "$(sha256sum < /run/secrets/token | cut -d" " -f1)" = {expected} '
             '&& echo secret-ok && mkdir -p /out && echo built > /out/marker')
    head = graph.run(graph.image(busybox), check, daemon, secret="token")
    definition = graph.definition(head)
    name = f"{settings.registry}/rbtest/secret-{secrets.token_hex(4)}:v1"
    asked: list[str] = []

    def lookup(secret_id: str):
        asked.append(secret_id)
        return value.encode() if secret_id == "token" else None

    events = []
    result = client.solve(definition, solve_options(image_name=name, secrets=lookup),
                          on_event=events.append)

    assert set(asked) == {"token"}
    assert result.image_digest.startswith("sha256:")
    logs = b"".join(e.data for e in events if isinstance(e, LogChunk))
    assert b"secret-ok" in logs
    assert value.encode() not in logs
    assert value not in json.dumps([to_json(e) for e in events])
    assert value.encode() not in definition.SerializeToString()
    image = pushed_image_bytes(settings, name)  # manifest, config, layers unpacked
    assert b"built" in image and value.encode() not in image


def test_unknown_secret_fails_the_solve_with_the_step_named(
        client, daemon, graph, busybox, solve_options):
    head = graph.run(graph.image(busybox), f"cat /run/secrets/missing # {secrets.token_hex(4)}",
                     daemon, secret="missing", name="read missing secret", line=7)
    with pytest.raises(buildkit.SolveFailed) as failure:
        client.solve(graph.definition(head), solve_options())
    assert "secret" in str(failure.value).lower()


def test_image_config_is_applied_and_survives_push_and_pull(
        client, daemon, graph, busybox, solve_options, settings, request):
    token = secrets.token_hex(4)
    head = graph.run(graph.image(busybox), f"mkdir -p /srv/app && echo {token} > /srv/app/v",
                     daemon)
    name = f"{settings.registry}/rbtest/config-{token}:v1"
    config = buildkit.ImageConfig(
        env=("PATH=/bin:/usr/bin", "GREETING=hello"), user="devzero", working_dir="/srv/app",
        cmd=("/bin/sh", "-c", "cat v"), labels={"org.example.team": "alpha"})
    events = []
    result = client.solve(graph.definition(head), solve_options(image_name=name,
                          image_config=config), on_event=events.append)

    if daemon.kind == "docker":
        # Pushed, then no longer tagged in the daemon, where it would pile up.
        assert request.getfixturevalue("engine").inspect_image(name) is None
        assert any(e.kind == "push" for e in events)
    else:  # buildkitd pushes inside its exporter's vertex
        assert any(e.kind == "progress" and e.id.startswith("pushing") for e in events)
    # What a pull gets: the manifest the solve reported, with the config applied.
    parsed = parse_ref(name)
    with system_client(registry_settings(settings)) as registry:
        manifest = registry.get_manifest(parsed.repository, parsed.reference)
        image = json.loads(registry.get_blob(parsed.repository,
                                             manifest.document["config"]["digest"]))
    assert manifest.digest == result.image_digest
    cfg = image["config"]
    assert cfg["Env"] == ["PATH=/bin:/usr/bin", "GREETING=hello"]
    assert cfg["WorkingDir"] == "/srv/app" and cfg["User"] == "devzero"
    assert cfg["Cmd"] == ["/bin/sh", "-c", "cat v"]
    assert cfg["Labels"] == {"org.example.team": "alpha"}
    assert len(manifest.document["layers"]) >= 2  # busybox, then the step's layer
    assert token.encode() in pushed_image_bytes(settings, name)


def test_events_keep_order_and_render_as_buildkit_plain_text(
        client, daemon, graph, busybox, solve_options):
    token = secrets.token_hex(4)
    base = graph.image(busybox)
    first = graph.run(base, f"echo first-{token}", daemon, name="[build 1/2] first")
    head = graph.run(first, f"echo second-{token}", daemon, name="[build 2/2] second")
    events = []
    client.solve(graph.definition(head), solve_options(), on_event=events.append)

    steps = [e for e in events if getattr(e, "digest", None) in (first, head)
             and isinstance(e, VertexStarted | VertexCompleted)]
    assert [(type(e).__name__, e.digest) for e in steps] == [
        ("VertexStarted", first), ("VertexCompleted", first),
        ("VertexStarted", head), ("VertexCompleted", head)]
    renderer = PlainRenderer()
    text = "\n".join(line for e in events for line in renderer.feed(e))
    assert "[build 1/2] first" in text and f" first-{token}" in text
    numbered = [line for line in text.splitlines() if line.endswith("[build 2/2] second")]
    assert len(numbered) == 1 and numbered[0].startswith("#")
    n = numbered[0].split()[0]
    assert any(line.startswith(f"{n} DONE ") for line in text.splitlines())

    # Solving again answers both steps from the cache.
    again = []
    client.solve(graph.definition(head), solve_options(), on_event=again.append)
    cached = {e.digest for e in again if isinstance(e, VertexCached)}
    assert {first, head} <= cached


@pytest.mark.parametrize("level, xfl", [(1, 4), (9, 2)])
def test_pushed_layers_are_compressed_at_the_asked_gzip_level(
        client, daemon, graph, busybox, solve_options, settings, level, xfl):
    # A new layer (the token): an identical one already in the cache would be reused
    # as it was compressed before.
    token = secrets.token_hex(8)
    head = graph.run(graph.image(busybox), f"seq 1 20000 > /numbers; echo {token} > /token",
                     daemon)
    name = f"{settings.registry}/rbtest/gzip-{token}:v1"
    client.solve(graph.definition(head), solve_options(image_name=name,
                                                       compression_level=level))
    parsed = parse_ref(name)
    with system_client(registry_settings(settings)) as registry:
        manifest = registry.get_manifest(parsed.repository, parsed.reference)
        layer = registry.get_blob(parsed.repository, manifest.document["layers"][-1]["digest"])
    # gzip's header records the speed of its compressor in the XFL byte (RFC 1952):
    # 4 for the fastest level, 2 for the best, 0 for the default one.  Docker 20.10
    # has no level to ask for: its Engine push compresses at the default.
    expected = 0 if daemon.kind == "docker" else xfl
    assert layer[:2] == b"\x1f\x8b" and layer[8] == expected


@pytest.mark.parametrize("compression, magic", [("zstd", b"\x28\xb5\x2f\xfd"),
                                                ("uncompressed", b"")])
def test_pushed_layers_use_the_asked_compression(
        client, daemon, graph, busybox, solve_options, settings, compression, magic):
    token = secrets.token_hex(8)
    head = graph.run(graph.image(busybox), f"seq 1 20000 > /numbers; echo {token} > /token",
                     daemon)
    name = f"{settings.registry}/rbtest/{compression}-{token}:v1"
    client.solve(graph.definition(head), solve_options(
        image_name=name, compression=compression, compression_level=1))
    parsed = parse_ref(name)
    with system_client(registry_settings(settings)) as registry:
        manifest = registry.get_manifest(parsed.repository, parsed.reference)
        new = manifest.document["layers"][-1]
        layer = registry.get_blob(parsed.repository, new["digest"])
    if daemon.kind == "docker":  # Docker 20.10's exporter has no such attribute
        assert layer[:2] == b"\x1f\x8b"
    elif compression == "zstd":
        assert layer[:4] == magic and new["mediaType"].endswith("+zstd")
    else:  # a plain tar: its first member's name, then "ustar" at offset 257
        assert layer[257:262] == b"ustar" and not new["mediaType"].endswith(("gzip", "zstd"))
