"""How ``dz`` prints logs and live progress (pure: no server)."""

from __future__ import annotations

import io
import json

from rich.console import Console

from dz.commands.builds import follow_build, report
from dz.commands.logtext import ProgressLines, last_state
from dz.commands.progress import Board, render


def test_a_redrawn_line_shows_its_last_state_behind_its_prefix():
    redrawn = b"#5 1.234 0% [Working]\r 40% [Working]\r100% done\r"
    assert last_state(redrawn) == b"#5 1.234 100% done"
    assert last_state(b"#5 Get:1 bookworm\r") == b"#5 Get:1 bookworm"
    assert last_state(b"plain line") == b"plain line"


def test_progress_lines_work_on_chunks_cut_anywhere():
    text = (b"#3 [build 1/1] apt-get update\n#3 0.5 Get:1\r 12% \r 77% \r\n"
            b"#3 0.9 Reading package lists... 0%\rReading package lists... Done\n#3 DONE 1.0s\n")
    expected = (b"#3 [build 1/1] apt-get update\n#3 0.5  77% \n"
                b"#3 0.9 Reading package lists... Done\n#3 DONE 1.0s\n")
    for size in (1, 2, 7, len(text)):
        lines = ProgressLines()
        out = b"".join(lines.feed(text[i:i + size]) for i in range(0, len(text), size))
        assert out + lines.flush() == expected


def event(seq: int, kind: str, data: str, vertex: str = "") -> dict:
    return {"seq": seq, "time": 0.0, "kind": kind, "vertex": vertex, "stream": "", "data": data}


def vertex(seq: int, kind: str, digest: str, **fields) -> dict:
    record = {"type": kind, "digest": digest, "name": f"[build] {digest}", **fields}
    return event(seq, "vertex", json.dumps(record), digest)


def test_the_live_tail_shows_a_redrawn_line_once_at_its_last_state():
    board = Board()
    board.feed(vertex(1, "vertex.started", "a"))
    board.feed(event(2, "log", "#1 0.1 get 10%\rget 90%\rget done\n#1 0.2 next\n", "a"))
    assert list(board.tail) == ["#1 0.1 get done", "#1 0.2 next"]


def test_a_step_running_when_the_build_was_cancelled_ends_cancelled():
    board = Board()
    for e in (vertex(1, "vertex.started", "a"), vertex(2, "vertex.completed", "a"),
              vertex(3, "vertex.started", "b"), event(4, "end", "cancelled")):
        board.feed(e)
    assert {d: s.status for d, s in board.steps.items()} == {"a": "done", "b": "cancelled"}


class FakeClient:
    def __init__(self, events: list[dict], result: dict) -> None:
        self.events, self.result = events, result

    def stream_events(self, build_id: str):
        return iter(self.events)

    def json(self, method: str, path: str) -> dict:
        return self.result


def test_the_success_report_is_one_line(capsys):
    report({"state": "succeeded", "elapsed_s": 3.0, "image_ref": "reg/t/r:1"})
    assert capsys.readouterr().out == "Build successful (0m 3s): reg/t/r:1\n"


def test_followed_output_piped_is_plain_progress_printed_as_it_happens():
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=100)
    seen_before_next_event = []

    def events():
        for e in (event(1, "header", "build started"),
                  vertex(2, "vertex.started", "a"),
                  event(3, "log", "#1 [build 1/1] apt-get update\n#1 0.5 Get:1 10%\r 90%\r\n", "a"),
                  vertex(4, "vertex.completed", "a"),
                  event(5, "log", "#1 DONE 1.0s\n", "a"),
                  event(6, "end", "succeeded")):
            yield e
            # The consumer must have printed what it had before asking for more.
            seen_before_next_event.append(out.getvalue())

    client = FakeClient([], {"state": "succeeded", "elapsed_s": 1.0, "image_ref": "r:1"})
    client.stream_events = lambda build_id: events()
    follow_build(client, "b1", console)
    assert seen_before_next_event[0] == "build started\n"
    assert seen_before_next_event[2].endswith("#1 [build 1/1] apt-get update\n#1 0.5  90%\n")
    assert out.getvalue() == ("build started\n#1 [build 1/1] apt-get update\n#1 0.5  90%\n"
                              "#1 DONE 1.0s\n")


def test_a_failure_report_names_the_recipe_line_once(capsys):
    message = "step [build 2/2] x failed at recipe line 9 with exit code 3"
    report({"state": "failed", "error": {"message": message, "line": 9}})
    assert capsys.readouterr().err == f"Build failed: {message}\n"
    report({"state": "failed", "error": {"message": "secret store unavailable", "line": 4}})
    assert capsys.readouterr().err == "Build failed at recipe line 4: secret store unavailable\n"


def test_the_board_shows_a_step_s_bytes_and_rate():
    board = Board()
    board.feed(vertex(1, "vertex.started", "push:r"))
    board.feed(vertex(2, "vertex.progress", "push:r", current=12_300_000, total=41_200_000,
                      rate_bps=8_200_000))
    assert board.steps["push:r"].moved == "12.3 / 41.2 MB, 8.2 MB/s"
    out = io.StringIO()
    Console(file=out, width=100).print(render(board))
    assert "12.3 / 41.2 MB, 8.2 MB/s" in out.getvalue()
