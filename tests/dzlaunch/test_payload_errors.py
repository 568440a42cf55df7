"""Payload errors: every malformed payload exits 64 with one clear line, runs nothing."""

from __future__ import annotations

import base64
import subprocess

import pytest

from core.config import REPO_ROOT

REQUIRED = ["v", "id", "phase", "name", "script", "shell", "directory", "user"]


def run_raw(dzlaunch, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(dzlaunch), *args], capture_output=True, timeout=30)


def assert_payload_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 64, proc.stderr
    assert proc.stdout == b"", "nothing may run (no header) for a bad payload"
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("dzlaunch: ")
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("not base64!", "base64"),
        ("abc", "base64"),  # length not a multiple of 4
        ("ab=c", "base64"),  # padding in the middle
        ("", "empty"),
    ],
)
def test_invalid_base64(dzlaunch, text, word):
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), "invalid payload", word)


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"v":1,}', b"[1, 2", b'{"v":1} trailing', b'{"a":"\x01"}', b'{"v":1,"v":1}'],
)
def test_invalid_json(dzlaunch, raw):
    text = base64.b64encode(raw).decode()
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), "not valid JSON", "offset")


def test_json_array_instead_of_object(dzlaunch):
    text = base64.b64encode(b"[]").decode()
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), "JSON object")


@pytest.mark.parametrize(("version", "word"), [(2, "version 2"), (0, "version 0"), ("1", "v")])
def test_unknown_or_mistyped_version(dzlaunch, make_step, encode_payload, version, word):
    text = encode_payload(make_step(v=version))
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), word)


def test_fractional_version(dzlaunch, encode_payload, make_step):
    text = encode_payload(make_step(v=1.5))
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), "'v' must be an integer")


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_field(dzlaunch, make_step, encode_payload, field):
    obj = make_step()
    del obj[field]
    text = encode_payload(obj)
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), f"missing field '{field}'")


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        ("script", 42, "'script' must be string, not number"),
        ("id", ["x"], "'id' must be string, not array"),
        ("env", ["A=1"], "'env' must be object, not array"),
        ("env", {"A": 1}, "env.A"),
        ("secret_files", {"team.X": True}, "secret_files.team.X"),
        ("secret_versions", {"team.X": 3}, "secret_versions.team.X"),
        ("secret_env", {"name": "X"}, "'secret_env' must be array"),
        ("secret_env", ["X"], "secret_env[0]"),
        ("secret_env", [{"name": "X"}], "missing field 'template'"),
        ("secret_env", [{"name": "1X", "template": "a"}], "not a valid variable name"),
        ("env", {"BAD-NAME": "x"}, "not a valid variable name"),
        ("phase", "deploy", "'phase' must be"),
        ("directory", "relative/dir", "absolute"),
        ("shell", "/bin/bash -c script", "must contain {}"),
        ("shell", "/bin/bash -c 'unterminated {}", "no closing quotation"),
        ("secret_files", {"team.X": "relative"}, "absolute"),
        ("user", "", "'user' is empty"),
    ],
)
def test_mistyped_or_invalid_field(dzlaunch, make_step, encode_payload, field, value, word):
    text = encode_payload(make_step(**{field: value}))
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), word)


def test_secret_reference_without_secret_file(dzlaunch, make_step, encode_payload):
    obj = make_step(secret_env=[{"name": "T", "template": "{{secret:team.TOKEN}}"}])
    text = encode_payload(obj)
    assert_payload_error(
        run_raw(dzlaunch, "--mode", "build", text), "team.TOKEN has no entry in secret_files"
    )


def test_nul_byte_in_a_path_is_refused(dzlaunch, make_step, encode_payload):
    text = encode_payload(make_step(directory="/tmp/a\u0000b"))
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), "NUL")


def test_deeply_nested_json_is_refused_not_crashed(dzlaunch):
    text = base64.b64encode(b"[" * 5000 + b"]" * 5000).decode()
    assert_payload_error(run_raw(dzlaunch, "--mode", "build", text), "nesting too deep")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--mode", "build"],
        ["--mode", "build", "a", "b"],
        ["--mode", "deploy", "x"],
        ["build", "x"],
    ],
)
def test_bad_command_line(dzlaunch, args):
    proc = run_raw(dzlaunch, *args)
    assert proc.returncode == 64
    assert b"dzlaunch:" in proc.stderr


def test_unknown_fields_are_ignored(dzlaunch, make_step, encode_payload):
    """Forward compatibility: the compiler may add keys without breaking old launchers."""
    text = encode_payload(make_step(future_key={"x": 1}, script="echo ok\n"))
    proc = run_raw(dzlaunch, "--mode", "build", text)
    assert proc.returncode == 0, proc.stderr
    assert b"\nok\n" in proc.stdout


def test_version_flag(dzlaunch):
    proc = run_raw(dzlaunch, "--version")
    expected = (REPO_ROOT / "dzlaunch" / "VERSION").read_text().strip()
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == f"dzlaunch {expected}"
