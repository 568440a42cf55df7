"""Status responses → events → plain text and JSON, on real protobuf messages."""

from __future__ import annotations

import json

from google.protobuf.timestamp_pb2 import Timestamp

from buildkit.pb import control_pb2
from buildkit.progress import (
    LogChunk,
    Progress,
    PushProgress,
    Tracker,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexStarted,
)
from buildkit.render import PlainRenderer, to_json


def ts(seconds: float) -> Timestamp:
    return Timestamp(seconds=1_700_000_000 + int(seconds), nanos=int((seconds % 1) * 1e9))


def vertex(digest, name, **kw):
    return control_pb2.Vertex(digest=digest, name=name, **kw)


def test_tracker_emits_one_event_per_transition_in_daemon_order():
    tracker = Tracker()
    responses = [
        control_pb2.StatusResponse(vertexes=[vertex("sha256:a", "[build 1/2] a"),
                                             vertex("sha256:b", "[build 2/2] b")]),
        control_pb2.StatusResponse(vertexes=[vertex("sha256:a", "[build 1/2] a", started=ts(0))]),
        control_pb2.StatusResponse(
            vertexes=[vertex("sha256:a", "[build 1/2] a", started=ts(0))],
            logs=[control_pb2.VertexLog(vertex="sha256:a", stream=1, msg=b"hello\n",
                                        timestamp=ts(0.123))]),
        control_pb2.StatusResponse(vertexes=[
            vertex("sha256:a", "[build 1/2] a", started=ts(0), completed=ts(0.4)),
            vertex("sha256:b", "[build 2/2] b", cached=True, started=ts(0.4),
                   completed=ts(0.4))]),
        control_pb2.StatusResponse(vertexes=[vertex("sha256:b", "[build 2/2] b", cached=True)]),
    ]
    events = [e for r in responses for e in tracker.feed(r)]
    assert [type(e) for e in events] == [VertexStarted, LogChunk, VertexCompleted, VertexCached]
    assert events[2].seconds == 0.4
    assert events[1].data == b"hello\n" and events[1].stream == 1


def test_failed_vertex_is_reported_once_and_cancellations_rank_last():
    tracker = Tracker()
    tracker.feed(control_pb2.StatusResponse(vertexes=[
        vertex("sha256:x", "other", started=ts(0), completed=ts(1), error="context canceled"),
        vertex("sha256:y", "[build 3/4] make", started=ts(0), completed=ts(2),
               error="exit code: 2")]))
    again = tracker.feed(control_pb2.StatusResponse(vertexes=[
        vertex("sha256:y", "[build 3/4] make", started=ts(0), completed=ts(2),
               error="exit code: 2")]))
    assert again == []
    assert tracker.failing_vertex().digest == "sha256:y"


def test_a_vertex_failing_in_a_second_run_is_reported_failed():
    tracker = Tracker()
    export = "sha256:e"
    runs = [vertex(export, "exporting to image", started=ts(0)),
            vertex(export, "exporting to image", started=ts(0), completed=ts(1)),
            vertex(export, "exporting to image", started=ts(1)),
            vertex(export, "exporting to image", started=ts(1), completed=ts(2),
                   error="failed to push: connection refused")]
    events = [e for v in runs for e in tracker.feed(control_pb2.StatusResponse(vertexes=[v]))]
    assert [type(e) for e in events] == [VertexStarted, VertexCompleted, VertexFailed]
    assert tracker.failing_vertex().error == "failed to push: connection refused"
    assert tracker.feed(control_pb2.StatusResponse(vertexes=[runs[-1]])) == []


def test_a_failed_step_outranks_the_exporter_that_failed_with_it():
    tracker = Tracker()
    error = 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'
    tracker.feed(control_pb2.StatusResponse(vertexes=[
        vertex("sha256:e", "exporting to image", started=ts(0), completed=ts(1), error=error),
        vertex("sha256:s", "[build 2/2] fails", started=ts(0), completed=ts(1), error=error)]))
    assert tracker.failing_vertex({"sha256:s"}).digest == "sha256:s"
    assert tracker.failing_vertex().digest == "sha256:e"  # order of arrival otherwise


def test_plain_renderer_writes_buildkit_style_lines():
    start = VertexStarted("sha256:a", "[build 1/4] apt-get install curl", ts(0).ToDatetime())
    events = [
        start,
        LogChunk("sha256:a", 1, b"one\ntwo\n", ts(0.123).ToDatetime()),
        VertexCompleted("sha256:a", start.name, start.started, ts(0.4).ToDatetime()),
        VertexCached("sha256:b", "[build 2/4] echo hi"),
        VertexFailed("sha256:c", "[build 3/4] make", "exit code: 2", None, None),
    ]
    renderer = PlainRenderer()
    lines = [line for e in events for line in renderer.feed(e)]
    assert lines == [
        "#1 [build 1/4] apt-get install curl",
        "#1 0.123 one",
        "#1 0.123 two",
        "#1 DONE 0.4s",
        "",
        "#2 [build 2/4] echo hi",
        "#2 CACHED",
        "",
        "#3 [build 3/4] make",
        "#3 ERROR: exit code: 2",
        "",
    ]


def test_a_line_cut_across_chunks_is_printed_whole():
    """BuildKit cuts output anywhere, even inside a line or a UTF-8 character."""
    start = VertexStarted("sha256:a", "[build 1/1] print", ts(0).ToDatetime())
    when = ts(0.5).ToDatetime()
    word = "straße".encode()
    events = [
        start,
        LogChunk("sha256:a", 1, b"first\nsec", when),
        LogChunk("sha256:a", 2, b"err\n", when),  # another stream does not join it
        LogChunk("sha256:a", 1, b"ond " + word[:5], when),
        LogChunk("sha256:a", 1, word[5:] + b"\nunfinished", when),
        VertexCompleted("sha256:a", start.name, start.started, ts(1).ToDatetime()),
    ]
    renderer = PlainRenderer()
    lines = [line for e in events for line in renderer.feed(e)]
    assert lines == [
        "#1 [build 1/1] print",
        "#1 0.500 first",
        "#1 0.500 err",
        "#1 0.500 second straße",
        "#1 unfinished",  # the end of the step prints what never got its newline
        "#1 DONE 1.0s",
        "",
    ]
    assert renderer.flush() == []


def test_json_form_is_serialisable_and_keeps_exact_bytes():
    events = [
        VertexStarted("sha256:a", "step", ts(0).ToDatetime(), ("sha256:z",)),
        LogChunk("sha256:a", 2, "é".encode()[:1], None),
        Progress("sha256:a", "layer", "pulling", 5, 10, True, None),
        PushProgress.from_engine("r/x:1", {"status": "Pushed", "id": "abc",
                                           "progressDetail": {}}),
    ]
    records = json.loads(json.dumps([to_json(e) for e in events]))
    assert [r["type"] for r in records] == ["vertex.started", "log", "progress", "push"]
    assert records[0]["inputs"] == ["sha256:z"] and records[0]["started"].startswith("2023-")
    assert records[1]["data_b64"] == "ww==" and records[1]["stream"] == 2
    assert records[3]["layer"] == "abc" and records[3]["status"] == "Pushed"


def test_sub_tasks_show_when_they_start_their_bytes_each_second_and_their_seconds():
    def at(seconds: float):
        return ts(seconds).ToDatetime()

    renderer = PlainRenderer()
    renderer.feed(VertexStarted("sha256:img", "docker-image://base", at(0)))
    layer = "sha256:0123"
    updates = [Progress("sha256:img", layer, "", current, 128_000_000, done, at(t))
               for t, current, done in ((0.1, 0, False), (0.5, 20_000_000, False),
                                        (1.2, 60_000_000, False), (1.9, 90_000_000, False),
                                        (2.4, 128_000_000, True), (2.4, 128_000_000, True))]
    lines = [line for update in updates for line in renderer.feed(update)]
    assert lines == [f"#1 {layer} 0.0 MB / 128.0 MB",
                     f"#1 {layer} 60.0 MB / 128.0 MB 1.1s",  # a second after the last line
                     f"#1 {layer} 128.0 MB / 128.0 MB 2.3s done"]  # once, though re-sent
    extract = [Progress("sha256:img", f"extracting {layer}", "", 0, 0, done, at(t))
               for t, done in ((2.5, False), (3.0, False), (5.5, True))]
    assert [line for e in extract for line in renderer.feed(e)] == [
        f"#1 extracting {layer}", f"#1 extracting {layer} 3.0s done"]
