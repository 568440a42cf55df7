"""Secrets: substitution into env vars, and redaction of every form before output leaves."""

from __future__ import annotations

import base64
import textwrap

import pytest

SECRET = "s3cr3t-Value-42"


@pytest.fixture()
def secret_file(tmp_path):
    def write(value: str | bytes, name: str = "team.TOKEN"):
        path = tmp_path / "secrets" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(value.encode() if isinstance(value, str) else value)
        return str(path)

    return write


def with_secret(path: str, ref: str = "team.TOKEN", template: str | None = None) -> dict:
    return {
        "secret_env": [{"name": "TOKEN", "template": template or "{{secret:" + ref + "}}"}],
        "secret_files": {ref: path},
    }


def test_template_is_substituted_into_the_env_var(run_build, secret_file, tmp_path):
    out = tmp_path / "seen"
    template = "Bearer {{ secret:team.TOKEN }} and {{secret:team.TOKEN}} {{ not.a.ref }}"
    proc = run_build(
        script=f'printf %s "$TOKEN" > {out}\n',
        **with_secret(secret_file(SECRET), template=template),
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == f"Bearer {SECRET} and {SECRET} {{{{ not.a.ref }}}}"


def test_several_secrets_and_namespaces(run_build, secret_file, tmp_path):
    out = tmp_path / "seen"
    files = {
        "team.A": secret_file("alpha-value", "team.A"),
        "user.B": secret_file("beta", "user.B"),
    }
    env = [{"name": "COMBINED", "template": "{{secret:team.A}}:{{\tsecret : user.B\t}}"}]
    proc = run_build(script=f'printf %s "$COMBINED" > {out}\n', secret_env=env, secret_files=files)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "alpha-value:beta"


def test_plain_value_is_redacted_on_both_streams(run_build, secret_file, relayed):
    proc = run_build(
        script='echo "token is $TOKEN!"\necho "err $TOKEN" >&2\n',
        **with_secret(secret_file(SECRET)),
    )
    assert relayed(proc.stdout) == b"token is ***!\n"
    assert proc.stderr == b"err ***\n"
    assert SECRET.encode() not in proc.stdout + proc.stderr


def test_base64_forms_are_redacted(run_build, secret_file, relayed):
    long_secret = "L0ng-" * 30  # its base64 form is wrapped at 76 columns by base64(1)
    path = secret_file(long_secret + "\n")
    script = textwrap.dedent(
        """\
        printf %s "$TOKEN" | base64 -w0; echo
        base64 -w0 < "$SECRET_PATH"; echo
        base64 < "$SECRET_PATH"
        printf 'Authorization: Basic %s\\n' "$(printf %s "$TOKEN" | base64 -w0)"
        """
    )
    proc = run_build(script=script.replace("$SECRET_PATH", path), **with_secret(path))
    out = relayed(proc.stdout)
    assert out == b"***\n***\n***\nAuthorization: Basic ***\n", out
    raw = long_secret.encode()
    for form in (base64.b64encode(raw), base64.b64encode(raw + b"\n")):
        assert form[:40] not in proc.stdout


def test_secret_split_across_writes_is_redacted(run_build, secret_file, relayed):
    half = len(SECRET) // 2
    script = f"printf 'a {SECRET[:half]}'\nsleep 0.3\nprintf '{SECRET[half:]} b\\n'\n"
    proc = run_build(script=script, **with_secret(secret_file(SECRET)))
    assert relayed(proc.stdout) == b"a *** b\n"


def test_multi_line_secret_is_redacted_whole_and_by_line(run_build, secret_file, relayed):
    key = "-----BEGIN KEY-----\nAAAABBBBCCCCDDDD\nEEEEFFFFGGGGHHHH\n-----END KEY-----\n"
    path = secret_file(key)
    proc = run_build(script=f"cat {path}\necho x\nsed -n 3p {path}\n", **with_secret(path))
    assert relayed(proc.stdout) == b"***\nx\n***\n"


def test_secret_with_trailing_newline_keeps_the_line_break(run_build, secret_file, relayed):
    path = secret_file(SECRET + "\n")
    proc = run_build(script=f"cat {path}\necho next\n", **with_secret(path))
    assert relayed(proc.stdout) == b"***\nnext\n"


def test_secret_prefix_at_end_of_output_is_not_lost(run_build, secret_file, relayed):
    proc = run_build(script=f"printf '{SECRET[:6]}'\n", **with_secret(secret_file(SECRET)))
    assert relayed(proc.stdout) == SECRET[:6].encode() + b"\n"


def test_unreferenced_secret_files_are_redacted_too(run_build, secret_file, relayed):
    path = secret_file("mounted-only-value", "devzero.GITHUB_GIT_CONFIG")
    proc = run_build(script=f"cat {path}; echo\n", secret_files={"devzero.GITHUB_GIT_CONFIG": path})
    assert relayed(proc.stdout) == b"***\n"


def test_header_line_is_redacted(run_build, secret_file):
    proc = run_build(name=f"echo {SECRET}", **with_secret(secret_file(SECRET)))
    assert proc.stdout.splitlines()[0] == b"==> [1-build-step-0] echo ***"


def test_missing_optional_secret_file_is_skipped(run_build, tmp_path, relayed):
    proc = run_build(
        script="echo ran\n", secret_files={"devzero.GITHUB_ACCESS_TOKEN": str(tmp_path / "absent")}
    )
    assert proc.returncode == 0, proc.stderr
    assert relayed(proc.stdout) == b"ran\n"


def test_missing_referenced_secret_file_fails_the_step(run_build, tmp_path):
    proc = run_build(script="echo ran\n", **with_secret(str(tmp_path / "absent")))
    assert proc.returncode == 71
    assert b"cannot read secret team.TOKEN" in proc.stderr
    assert b"ran" not in proc.stdout


def reference_redaction(text: bytes, patterns: list[bytes]) -> bytes:
    """Leftmost, then longest, match replaced by ***, over the text as a whole."""
    ordered = sorted(set(patterns), key=len, reverse=True)
    out, i = bytearray(), 0
    while i < len(text):
        hit = next((p for p in ordered if text.startswith(p, i)), None)
        if hit:
            out += b"***"
            i += len(hit)
        else:
            out.append(text[i])
            i += 1
    return bytes(out)


PRODUCER = """\
import os, sys, time
data = open(sys.argv[1], 'rb').read()
cuts = [int(c) for c in open(sys.argv[2]).read().split()]
at = 0
for n, cut in enumerate(cuts):
    os.write(1, data[at:cut])
    at = cut
    if n % 5 == 0:
        time.sleep(0.0005)
os.write(1, data[at:])
"""


@pytest.mark.parametrize("seed", range(6))
def test_streamed_redaction_matches_whole_text_redaction(
    run_build, secret_file, relayed, tmp_path, seed
):
    """Many secrets (sharing prefixes, short and long) in output cut at random
    points: the relay redacts exactly what redacting the whole text at once does."""
    import random

    rng = random.Random(seed)
    alphabet = b"abcsetvlu-0123=+/*\n"
    values = [b"s3", b"sec", b"secret-1", b"secret-12", b"set-secret-" + b"v" * rng.randint(0, 300)]
    values += [bytes(rng.choices(alphabet[:-1], k=rng.randint(4, 40))) for _ in range(6)]
    files = {f"team.S{i}": secret_file(v, f"team.S{i}") for i, v in enumerate(values)}
    forms = [v for v in values] + [base64.b64encode(v) for v in values]
    forms += [base64.encodebytes(v).rstrip(b"\n") for v in values]  # wrapped at 76
    pieces, cuts, size = [], set(), 0
    for _ in range(3000):
        roll = rng.random()
        if roll < 0.15:
            form = rng.choice(forms)
            pieces.append(form)
            # Cut inside the secret, often right after its first byte or before its last.
            cuts.add(size + rng.choice([1, len(form) - 1, rng.randint(1, len(form))]))
        elif roll < 0.25:
            form = rng.choice(forms)
            pieces.append(form[: rng.randint(0, len(form))])  # a near miss
        else:
            pieces.append(bytes(rng.choices(alphabet, k=rng.randint(1, 60))))
        size += len(pieces[-1])
    text = b"".join(pieces) + b"\n"
    (tmp_path / "out.bin").write_bytes(text)
    cuts = sorted(c for c in cuts if 0 < c < len(text))
    (tmp_path / "cuts.txt").write_text(" ".join(map(str, cuts)))
    (tmp_path / "producer.py").write_text(PRODUCER)
    script = f"python3 {tmp_path}/producer.py {tmp_path}/out.bin {tmp_path}/cuts.txt\n"
    proc = run_build(script=script, secret_files=files)
    assert proc.returncode == 0, proc.stderr
    assert relayed(proc.stdout) == reference_redaction(text, forms)
