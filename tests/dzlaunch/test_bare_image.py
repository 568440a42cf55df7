"""Any base image: the binary is static and works in a root with nothing but a shell."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile

import pytest

from tests.conftest import need

PT_INTERP = 3


def program_header_types(path) -> list[int]:
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2, "expected a 64-bit ELF"
    phoff = int.from_bytes(data[32:40], "little")
    entsize = int.from_bytes(data[54:56], "little")
    count = int.from_bytes(data[56:58], "little")
    return [
        int.from_bytes(data[phoff + i * entsize : phoff + i * entsize + 4], "little")
        for i in range(count)
    ]


def test_binary_has_no_dynamic_loader(dzlaunch):
    assert PT_INTERP not in program_header_types(dzlaunch)


@pytest.fixture()
def bare_root(tmp_path, dzlaunch):
    """A root holding only /dzlaunch and a static busybox as /bin/sh: no /etc, no /tmp."""
    need(os.geteuid() == 0, "chroot needs root")
    busybox = shutil.which("busybox")
    need(busybox is not None, "busybox-static is not installed")
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy(dzlaunch, root / "dzlaunch")
    shutil.copy(busybox, root / "bin" / "busybox")
    (root / "bin" / "sh").symlink_to("busybox")
    (root / "dev").mkdir()
    os.mknod(root / "dev" / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return root


def test_runs_a_step_in_a_bare_root(bare_root, encode_payload, make_step, relayed):
    payload = encode_payload(
        make_step(shell="/bin/sh {}", directory="/srv/dir", script='echo "in $(pwd) as $USER"\n')
    )
    chroot = shutil.which("chroot")
    need(chroot is not None, "chroot (coreutils) is not installed")
    proc = subprocess.run(
        [chroot, str(bare_root), "/dzlaunch", "--mode", "build", payload],
        capture_output=True,
        env={},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert relayed(proc.stdout) == b"in /srv/dir as root\n"
    tmp = bare_root / "tmp"
    assert stat.S_IMODE(tmp.stat().st_mode) == 0o1777
    assert list(tmp.iterdir()) == []


def test_image_tar_holds_only_the_launcher(dzlaunch):
    out = dzlaunch.parent
    subprocess.run(["make", "-s", "-C", str(out.parent), "image-tar"], check=True)
    first = (out / "rootfs.tar").read_bytes()
    with tarfile.open(out / "rootfs.tar") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["dzlaunch"]
    (entry,) = members
    assert (entry.mode, entry.uid, entry.gid, entry.mtime) == (0o755, 0, 0, 0)
    assert entry.size == dzlaunch.stat().st_size
    (out / "rootfs.tar").unlink()
    subprocess.run(["make", "-s", "-C", str(out.parent), "image-tar"], check=True)
    assert (out / "rootfs.tar").read_bytes() == first, "image-tar must be reproducible"
