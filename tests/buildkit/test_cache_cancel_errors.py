"""Cache import after a prune, cancellation, and the typed errors, on a real daemon."""

from __future__ import annotations

import secrets
import threading
import time

import psutil
import pytest

import buildkit
from buildkit.progress import VertexCached, VertexStarted
from llb.pb import ops_pb2


def test_cache_import_after_a_prune_of_all_cache_answers_steps_from_the_registry(
        client, daemon, graph, busybox, solve_options, settings, request):
    token = secrets.token_hex(4)
    first = graph.run(graph.image(busybox), f"echo {token} > /a", daemon)
    head = graph.run(first, f"cat /a > /b # {token}", daemon)
    name = f"{settings.registry}/rbtest/cache-{token}:v1"
    # Where each engine's cache travels: a registry cache manifest of every step
    # (buildkitd), or inline in the image itself (Docker 20.10 has no other exporter).
    inline = client.info.cache_export_type == "inline"
    cache_ref = name if inline else f"{settings.registry}/rbtest/cache-{token}:cache"
    client.solve(graph.definition(head), solve_options(image_name=name, cache_export=cache_ref))

    # Every test's cache goes, other builds' too: only this test does it.
    client.prune(all_cache=True)
    if daemon.kind == "docker":  # the importer must go to the registry
        request.getfixturevalue("engine").remove_image(name)
    events = []
    client.solve(graph.definition(head), solve_options(cache_imports=(cache_ref,)),
                 on_event=events.append)

    cached = {e.digest for e in events if isinstance(e, VertexCached)}
    assert {first, head} <= cached


def _sleep_processes(seconds: str) -> list[psutil.Process]:
    """This test's own sleep (a duration no other test uses; the machine is shared)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if (proc.info["cmdline"] or [])[-2:] == ["sleep", seconds]:
            found.append(proc)
    return found


def test_cancel_stops_the_running_step_on_the_daemon(client, daemon, graph, busybox,
                                                     solve_options):
    seconds = str(600 + secrets.randbelow(100_000))
    head = graph.run(graph.image(busybox), f"echo {secrets.token_hex(4)}; exec sleep {seconds}",
                     daemon)
    started = threading.Event()

    def on_event(event):
        if isinstance(event, VertexStarted) and event.digest == head:
            started.set()

    handle = client.start_solve(graph.definition(head), solve_options(), on_event=on_event)
    assert started.wait(120), "the sleep step never started"
    deadline = time.monotonic() + 60
    while not _sleep_processes(seconds) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sleep_processes(seconds), f"sleep {seconds} is not running on the daemon"

    handle.cancel()
    with pytest.raises(buildkit.SolveCancelled):
        handle.result(timeout=120)
    deadline = time.monotonic() + 60  # a bound on waiting, not a speed assertion
    while _sleep_processes(seconds) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sleep_processes(seconds) == []


def test_failing_step_names_its_vertex_and_recipe_line(client, daemon, graph, busybox,
                                                       solve_options):
    base = graph.image(busybox)
    head = graph.run(base, f"echo {secrets.token_hex(4)}; exit 3", daemon,
                     name="[build 1/1] exit 3", line=14)
    with pytest.raises(buildkit.SolveFailed) as failure:
        client.solve(graph.definition(head), solve_options())
    err = failure.value
    assert err.vertex_digest == head
    assert err.vertex_name == "[build 1/1] exit 3"
    assert str(err.location) == "recipe.yaml:14"
    assert "recipe.yaml:14" in str(err) and "Traceback" not in str(err)


def test_single_op_definition_is_an_invalid_definition(client, graph, busybox, solve_options):
    source = graph.image(busybox)
    definition = ops_pb2.Definition(**{"def": [graph.ops[source]]})
    with pytest.raises(buildkit.InvalidDefinition):
        client.solve(definition, solve_options())


def test_garbage_bytes_are_an_invalid_definition(client, solve_options):
    with pytest.raises(buildkit.InvalidDefinition):
        client.solve(b"\xff\xff\xff not protobuf", solve_options())


def test_caps_unknown_to_the_daemon_are_refused_before_solving(client, daemon, graph, busybox,
                                                               solve_options):
    head = graph.run(graph.image(busybox), f"true # {secrets.token_hex(4)}", daemon)
    graph.metadata[head].caps["rb.test.no-such-cap"] = True
    with pytest.raises(buildkit.UnsupportedCapability) as failure:
        client.solve(graph.definition(head), solve_options())
    assert failure.value.caps == ("rb.test.no-such-cap",)


def test_mergeop_is_refused_on_docker_and_accepted_on_buildkitd(client, daemon, graph, busybox,
                                                                solve_options):
    head = graph.run(graph.image(busybox), f"true # {secrets.token_hex(4)}", daemon)
    graph.metadata[head].caps["mergeop"] = True
    if daemon.kind == "docker":  # BuildKit v0.8 predates MergeOp (v0.10)
        with pytest.raises(buildkit.UnsupportedCapability) as failure:
            client.solve(graph.definition(head), solve_options())
        assert failure.value.caps == ("mergeop",)
    else:
        client.solve(graph.definition(head), solve_options())


def test_unreachable_daemons_raise_daemon_unreachable(tmp_path):
    with pytest.raises(buildkit.DaemonUnreachable, match="not reachable"):
        buildkit.connect(f"docker://{tmp_path / 'absent.sock'}", timeout=2)
    with pytest.raises(buildkit.DaemonUnreachable):
        buildkit.connect("tcp://127.0.0.1:9", timeout=2)
