"""A failed step is told by its name, recipe line, exit code and last output: never by
the launcher's encoded payload that BuildKit quotes in its exec errors."""

from __future__ import annotations

import base64
import json
import re

from buildkit.errors import from_rpc_error, shorten_exec_error
from buildkit.pb import control_pb2
from buildkit.progress import LogChunk, Tracker, VertexFailed
from llb import StepInfo
from pipeline.failure import LINE_CHARS, OutputTail, step_failure

PAYLOAD = base64.b64encode(json.dumps({"script": "x" * 1200}).encode()).decode()
LAUNCH = f"/dzlaunch --mode build {PAYLOAD}"
#: A run of base64 long enough that only an encoded payload produces it.
BLOB = re.compile(r"[A-Za-z0-9+/=]{200,}")


def chunk(data: bytes, vertex: str = "sha256:s", stream: int = 1) -> LogChunk:
    return LogChunk(vertex, stream, data, None)


def test_exec_errors_of_both_daemons_keep_the_command_head_and_the_exit_code():
    buildkitd = f'process "{LAUNCH}" did not complete successfully: exit code: 3'
    docker = f"executor failed running [{LAUNCH}]: exit code: 3"
    assert shorten_exec_error(buildkitd) == (
        'process "/dzlaunch --mode build …" did not complete successfully: exit code: 3')
    assert shorten_exec_error(docker) == (
        "executor failed running [/dzlaunch --mode build …]: exit code: 3")
    short = 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'
    assert shorten_exec_error(short) == short


def test_the_daemons_errors_reach_no_consumer_with_the_payload():
    tracker = Tracker()
    error = f'process "{LAUNCH}" did not complete successfully: exit code: 3'
    (failed,) = tracker.feed(control_pb2.StatusResponse(vertexes=[control_pb2.Vertex(
        digest="sha256:s", name="[build 1/1] make", error=error)]))
    assert isinstance(failed, VertexFailed)
    assert not BLOB.search(failed.error) and failed.error.endswith("exit code: 3")

    class RpcError:
        def code(self):
            return None

        def details(self):
            return error

    translated = from_rpc_error(RpcError(), "Solve")
    assert not BLOB.search(str(translated)) and "exit code: 3" in translated.reason


def test_the_tail_keeps_the_last_lines_of_each_vertex_across_chunks():
    tail = OutputTail(size=3)
    tail.feed(chunk(b"one\ntw"))
    tail.feed(chunk(b"err\n", stream=2))  # stderr does not finish stdout's line
    tail.feed(chunk(b"o\nthree\n"))
    tail.feed(chunk(b"elsewhere\n", vertex="sha256:other"))
    assert tail.lines("sha256:s") == ["err", "two", "three"]
    tail.feed(chunk(b"".join(b"line %d\n" % i for i in range(1000)) + b"unfinished"))
    assert tail.lines("sha256:s") == ["line 998", "line 999", "unfinished"]
    assert tail.lines("sha256:other") == ["elsewhere"]
    assert tail.lines("sha256:none") == []


def test_the_tail_shows_progress_lines_at_their_last_state_masked_and_cut():
    tail = OutputTail()
    tail.feed(chunk(b"Reading lists 0%\rReading lists 50%\rReading lists Done\r\n"))
    tail.feed(chunk(b"token=hunter2-secret\n" + b"y" * 5000 + b"\n"))
    lines = tail.lines("sha256:s", [b"hunter2-secret"])
    assert lines[0] == "Reading lists Done"
    assert lines[1] == "token=***"
    assert len(lines[2]) == LINE_CHARS and lines[2].endswith("…")


def test_the_message_names_step_line_exit_code_and_output():
    step = StepInfo(id="1-build-step-1", phase="build", type="command",
                    name="[build 2/2] echo boom; exit 3", lines=(9, 12), digest="sha256:s")
    message = step_failure(step, "ignored", 9, 3, "process … exit code: 3", ["boom", "bye"])
    assert message.splitlines() == [
        "step [build 2/2] echo boom; exit 3 failed at recipe line 9 with exit code 3",
        "last output:", "  boom", "  bye"]
    other = step_failure(None, "pulling base image", None, None, "not found", [])
    assert other == "step pulling base image failed: not found"
