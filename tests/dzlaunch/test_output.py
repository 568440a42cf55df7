"""Output hygiene: long lines, binary data, large volumes and stream order."""

from __future__ import annotations

import os
import random
import subprocess

LINE_MAX = 16384  # LINE_MAX_BYTES in dzlaunch/src/lines.h


def test_ten_megabytes_are_relayed_intact(run_build, relayed, tmp_path):
    rng = random.Random(4)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \t\r.,;:-_/\\\"'{}[]"
    lines = []
    size = 0
    while size < 10 * 1024 * 1024:
        n = rng.choice([0, 1, 10, 80, 200, 1000, LINE_MAX])
        line = "".join(rng.choices(alphabet, k=n)) + "\n"
        lines.append(line)
        size += len(line)
    out_file = tmp_path / "out.txt"
    out_file.write_text("".join(lines))
    err_file = tmp_path / "err.txt"
    err_file.write_text("".join(reversed(lines)))
    proc = run_build(script=f"cat {out_file} & cat {err_file} >&2\nwait\n")
    assert proc.returncode == 0
    assert relayed(proc.stdout) == out_file.read_bytes()
    assert proc.stderr == err_file.read_bytes()


def test_long_lines_are_split_not_lost(run_build, relayed):
    proc = run_build(script=f"head -c {3 * LINE_MAX + 5} /dev/zero | tr '\\0' x\necho\necho end\n")
    out = relayed(proc.stdout).split(b"\n")
    assert out[:-1] == [b"x" * LINE_MAX] * 3 + [b"x" * 5, b"end"]


def test_line_of_exactly_the_limit_is_not_split(run_build, relayed):
    proc = run_build(script=f"head -c {LINE_MAX} /dev/zero | tr '\\0' y\necho\n")
    assert relayed(proc.stdout) == b"y" * LINE_MAX + b"\n"


def test_long_lines_split_at_utf8_boundaries(run_build, relayed):
    proc = run_build(script="for i in $(seq 20000); do printf 'é'; done; echo\n")
    pieces = relayed(proc.stdout).split(b"\n")[:-1]
    assert len(pieces) > 1
    assert all(len(p) <= LINE_MAX for p in pieces)
    assert "".join(p.decode("utf-8") for p in pieces) == "é" * 20000


def test_binary_output_passes_through_and_keeps_the_framing(run_build, relayed, tmp_path):
    blob = tmp_path / "blob"
    data = bytearray(random.Random(7).randbytes(1_000_000))
    # random bytes rarely go 16 KiB without a newline; make sure they never do
    for i in range(0, len(data), 4096):
        data[i] = 0x0A
    data[-1] = 0x0A
    blob.write_bytes(bytes(data))
    proc = run_build(name="binary", script=f"cat {blob}\n")
    assert proc.returncode == 0
    assert proc.stdout.startswith(b"==> [1-build-step-0] binary\n")
    assert relayed(proc.stdout) == bytes(data)


def test_stdout_and_stderr_order_is_preserved(dzlaunch, encode_payload, make_step, relayed):
    script = "".join(f"echo out-{i}\nsleep 0.05\necho err-{i} >&2\nsleep 0.05\n" for i in range(5))
    read, write = os.pipe()
    with os.fdopen(read, "rb") as reader:
        proc = subprocess.Popen(
            [str(dzlaunch), "--mode", "build", encode_payload(make_step(script=script))],
            stdout=write,
            stderr=write,
        )
        os.close(write)
        merged = reader.read()
    assert proc.wait(timeout=60) == 0
    expected = "".join(f"out-{i}\nerr-{i}\n" for i in range(5)).encode()
    assert relayed(merged) == expected


def test_background_process_holding_the_pipe_does_not_block_exit(run_build, relayed):
    proc = run_build(script="sleep 5 &\necho done\n", timeout=20)
    assert proc.returncode == 0
    assert relayed(proc.stdout) == b"done\n"


def test_lines_are_relayed_while_the_step_runs(dzlaunch, encode_payload, make_step):
    """Output is streamed, not held back until the end: after a burst of small
    writes (which the relay batches), the last line of the burst arrives while
    the script is still sleeping."""
    script = "for i in $(seq 2000); do echo burst-$i; done\nsleep 30\necho never-waited-for\n"
    proc = subprocess.Popen(
        [str(dzlaunch), "--mode", "build", encode_payload(make_step(script=script))],
        stdout=subprocess.PIPE,
    )
    try:
        for line in proc.stdout:
            if line == b"burst-2000\n":
                break
        assert proc.poll() is None, "the burst's last line came only at the end of the step"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
