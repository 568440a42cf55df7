"""Long set-up steps (apt-get, pip, go build, debootstrap) say they are alive: a line
when each starts and ends with its time, and one every few seconds meanwhile with the
step's latest output, in plain lines (no TTY, CI logs). What gets installed is unchanged.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from core.config import REPO_ROOT
from stack import rootfs

WITH_PROGRESS = REPO_ROOT / "scripts" / "with-progress"
# A step that ends only once the heartbeat showed its latest line (bounded: 120 s), so
# the test does not depend on how fast this machine is.
WAIT_FOR = 'for _ in $(seq 1200); do grep -q "{line}" "{out}" && exit 0; sleep 0.1; done; exit 7'


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return {**os.environ, "CI": "true", "TMPDIR": str(tmp_path / "tmp"),
            "WITH_PROGRESS_EVERY_S": "1", **extra}


def test_a_long_step_prints_a_heartbeat_with_its_latest_line(tmp_path):
    out = tmp_path / "out"
    step = ('printf "Get:1 libfoo\\n10%%\\r20%% of libfoo\\n"; '
            + WAIT_FOR.format(line="step: [0-9]*s, last: 20% of libfoo$", out=out))
    with open(out, "w") as fh:
        result = subprocess.run([str(WITH_PROGRESS), "step", "bash", "-c", step],
                                stdout=fh, stderr=subprocess.PIPE, text=True,
                                env=env(tmp_path), timeout=300)
    lines = out.read_text().splitlines()
    assert result.returncode == 0, (lines, result.stderr)
    assert lines[0] == "step: started"
    assert lines[-1].startswith("step: done in ") and lines[-1].endswith("s")
    # The heartbeat shows what a progress line redrew last (a beat before the step's
    # first output has no "last"); the raw output itself is not copied.
    beats = lines[1:-1]
    assert beats and all(re.fullmatch(r"step: \d+s(, last: 20% of libfoo)?", b) for b in beats)
    assert any(b.endswith(", last: 20% of libfoo") for b in beats), beats
    assert "Get:1" not in out.read_text() and result.stderr == ""
    assert not any((tmp_path / "tmp").iterdir())  # the step's output is not left behind


def test_a_failed_step_shows_its_last_lines_and_keeps_its_exit_status(tmp_path):
    step = 'for i in $(seq 50); do echo "output line $i"; done; exit 3'
    result = subprocess.run([str(WITH_PROGRESS), "step", "bash", "-c", step],
                            capture_output=True, text=True, env=env(tmp_path), timeout=300)
    assert result.returncode == 3
    assert result.stdout == "step: started\n"
    err = result.stderr.splitlines()
    assert err[0].startswith("step: failed (exit 3) after ")
    assert err[1:41] == [f"output line {i}" for i in range(11, 51)]
    kept = err[-1].removeprefix("step: its whole output is in ")
    assert Path(kept).read_text().splitlines()[0] == "output line 1"


def fake_checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout with the real bootstrap and fake tools, everything already installed
    except the Python requirements and buildkitd; returns it and the tools' call log."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    for name in ("bootstrap", "with-progress"):
        shutil.copy2(REPO_ROOT / "scripts" / name, root / "scripts" / name)
    # The editor bundle is built already: its --check says so.
    (root / "scripts" / "build-editor").write_text("#!/usr/bin/env bash\nexit 0\n")
    (root / "scripts" / "build-editor").chmod(0o755)
    for name in ("requirements.txt", "pyproject.toml", "stack/go/go.mod", "stack/go/go.sum"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n")
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    out = tmp_path / "out"
    tools = {
        "dpkg-query": "printf 'install ok installed'",
        "go": ('if [ "$1" = list ]; then echo v0.0.0; exit 0; fi\n'
               'echo "go $*" >> "$CALLS"\n'
               'for a; do [ "$prev" = -o ] && for t in buildkitd buildctl; do\n'
               '  install /dev/null "$a$t"; done; prev=$a; done'),
    }
    pip = ('echo "pip $*" >> "$CALLS"\necho "Collecting fakepkg"\n'
           'case "$*" in *requirements.txt*) '
           + WAIT_FOR.format(line="Python requirements: [0-9]*s, last: Collecting fakepkg",
                             out=out) + ';; esac')
    bin_dir.mkdir()
    (root / ".venv" / "bin").mkdir(parents=True)
    for path, text in [*((bin_dir / n, t) for n, t in tools.items()),
                       (root / ".venv/bin/pip", pip), (root / ".venv/bin/python", "exit 0")]:
        path.write_text(f"#!/usr/bin/env bash\n{text}\n")
        path.chmod(0o755)
    return root, calls


def test_bootstrap_reports_its_long_steps_and_installs_the_same(tmp_path):
    root, calls = fake_checkout(tmp_path)
    out = tmp_path / "out"
    fakes = env(tmp_path, CALLS=str(calls), PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    with open(out, "w") as fh:
        result = subprocess.run([str(root / "scripts" / "bootstrap")], stdout=fh,
                                stderr=subprocess.PIPE, text=True, timeout=300, env=fakes)
    text = out.read_text()
    assert result.returncode == 0, text + result.stderr
    # What is installed and built is what it always was.
    assert calls.read_text().splitlines() == [
        "pip install --progress-bar off --upgrade pip",
        "pip install --progress-bar off -r requirements.txt",
        "pip install --progress-bar off --no-deps -e .",
        f"go -C stack/go build -v -trimpath -ldflags -X github.com/moby/buildkit/version."
        f"Version=v0.0.0 -o {root}/.tools/bin/ github.com/moby/buildkit/cmd/buildkitd "
        "github.com/moby/buildkit/cmd/buildctl",
    ]
    lines = text.splitlines()
    for label in ("pip itself", "Python requirements", "the project (editable)",
                  "buildkitd and buildctl (stack/go/go.mod)"):
        assert f"bootstrap: {label}: started" in lines
        assert any(line.startswith(f"bootstrap: {label}: done in ") for line in lines)
    assert any(line.startswith("bootstrap: Python requirements: ")
               and line.endswith("s, last: Collecting fakepkg") for line in lines)
    assert lines[-1].startswith("bootstrap: ready in ")

    # A rerun with everything in place does all of it silently.
    calls.unlink()
    again = subprocess.run([str(root / "scripts" / "bootstrap")], capture_output=True,
                           text=True, timeout=300, env=fakes)
    assert again.returncode == 0 and again.stdout == "" and not calls.exists(), again


def test_debootstrap_runs_under_the_progress_reporter(tmp_path, monkeypatch):
    """The devbox rootfs keeps its exact debootstrap command, now wrapped to say it is
    alive instead of sending its output to /dev/null."""
    ran = []

    def fake_run(argv, **kwargs):
        ran.append((argv, kwargs))
        if argv[0] == "tar":
            Path(argv[-2]).write_bytes(b"")
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(rootfs.subprocess, "run", fake_run)
    rootfs.devbox_tar(tmp_path, "http://mirror.invalid/debian")
    argv, kwargs = ran[0]
    assert argv[:2] == [str(WITH_PROGRESS), "devbox rootfs: debootstrap bookworm from "
                        "http://mirror.invalid/debian"]
    assert argv[2:] == ["debootstrap", "--variant=minbase",
                        "--include=" + ",".join(rootfs.DEVBOX_PACKAGES), "bookworm",
                        argv[-2], "http://mirror.invalid/debian"]
    assert argv[-2].endswith("/rootfs") and "stdout" not in kwargs and kwargs["check"]
