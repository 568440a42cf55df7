"""Root filesystems of the base images, made locally (no public registry is reachable).

Each builder returns a tarball path; tarballs are cached under the cache directory by
a key of what goes into them, so a rerun takes seconds.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from core.config import REPO_ROOT

PASSWD = "root:x:0:0:root:/root:/bin/sh\ndevzero:x:1000:1000:devzero:/home/devzero:/bin/sh\n"
GROUP = "root:x:0:\ndevzero:x:1000:\n"
# busybox has no bash applet; the test image maps bash onto ash so recipes using the
# default shell template (`/bin/bash -l -o errexit -o pipefail {}`) run unchanged.
BASH_SHIM = "#!/bin/sh\nexec /bin/busybox ash \"$@\"\n"

DEVBOX_SUITE = "bookworm"
DEVBOX_PACKAGES = ["bash", "sudo", "ca-certificates", "curl", "git", "passwd", "gnupg"]
DEVBOX_SETUP = """set -e
groupadd --gid 1000 devzero
useradd --uid 1000 --gid 1000 --create-home --home-dir /home/devzero --shell /bin/bash devzero
echo 'devzero ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/devzero
chmod 0440 /etc/sudoers.d/devzero
mkdir -p /usr/lib/devzero/bin /usr/lib/devzero/startup-scripts
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
"""


def _add(tar: tarfile.TarFile, name: str, *, data: bytes | None = None, mode: int = 0o644,
         kind: bytes = tarfile.REGTYPE, link: str = "", uid: int = 0) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime = kind, mode, uid, uid, 0
    info.linkname = link
    if data is not None:
        info.size = len(data)
    tar.addfile(info, io.BytesIO(data) if data is not None else None)


def busybox_tar(cache: Path, busybox: Path = Path("/bin/busybox")) -> Path:
    """A tiny rootfs: static busybox, its applet links, root and devzero users."""
    binary = busybox.read_bytes()
    applets = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True,
                             check=True).stdout.split()
    key = hashlib.sha256(binary + "\n".join(applets).encode() + PASSWD.encode()
                         + BASH_SHIM.encode())
    out = cache / f"busybox-{key.hexdigest()[:16]}.tar"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
        for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "home", "run",
                  "var", "var/tmp", "usr/lib", "usr/lib/devzero", "usr/lib/devzero/bin",
                  "usr/lib/devzero/startup-scripts", "etc/profile.d"]:
            _add(tar, d, kind=tarfile.DIRTYPE, mode=0o755)
        _add(tar, "tmp", kind=tarfile.DIRTYPE, mode=0o1777)
        _add(tar, "home/devzero", kind=tarfile.DIRTYPE, mode=0o755, uid=1000)
        _add(tar, "bin/busybox", data=binary, mode=0o755)
        _add(tar, "bin/bash", data=BASH_SHIM.encode(), mode=0o755)
        for applet in sorted(set(applets)):
            if applet not in {"bin/busybox", "bin/bash"}:
                _add(tar, applet, kind=tarfile.SYMTYPE, link="/bin/busybox", mode=0o777)
        _add(tar, "etc/passwd", data=PASSWD.encode())
        _add(tar, "etc/group", data=GROUP.encode())
        _add(tar, "etc/os-release", data=b'ID=busybox\nNAME="BusyBox"\n')
    tmp.rename(out)
    return out


def debian_mirror() -> str:
    """The Debian archive this machine's apt uses (read at run time, never hard-coded)."""
    candidates: list[str] = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            continue
        for stanza in re.split(r"\n\s*\n", text):
            if DEVBOX_SUITE not in stanza or "security" in stanza:
                continue
            candidates += re.findall(r"^URIs:\s*(\S+)", stanza, re.M)
            candidates += re.findall(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+" + DEVBOX_SUITE + r"\s",
                                     stanza, re.M)
    for uri in candidates:
        if uri.rstrip("/").endswith("/debian"):
            return uri
    raise RuntimeError("no Debian bookworm mirror found in /etc/apt; set RB_DEBIAN_MIRROR")


def debootstrap_argv(target: Path, mirror: str) -> list[str]:
    """debootstrap under ``scripts/with-progress``: it is minutes of silence the first
    time, so a line every 15 s (CI logs too) tells it is alive and what it fetches."""
    return [str(REPO_ROOT / "scripts" / "with-progress"),
            f"devbox rootfs: debootstrap {DEVBOX_SUITE} from {mirror}",
            "debootstrap", "--variant=minbase", "--include=" + ",".join(DEVBOX_PACKAGES),
            DEVBOX_SUITE, str(target), mirror]


def devbox_tar(cache: Path, mirror: str = "") -> Path:
    """Debian bookworm made with debootstrap: bash, sudo, curl, git, user devzero.

    ``mirror`` (``RB_DEBIAN_MIRROR``) overrides the archive this machine's apt uses.
    """
    spec = "\n".join([DEVBOX_SUITE, ",".join(DEVBOX_PACKAGES), DEVBOX_SETUP])
    out = cache / f"devbox-{DEVBOX_SUITE}-{hashlib.sha256(spec.encode()).hexdigest()[:16]}.tar"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="devbox-", dir=cache))
    try:
        target = work / "rootfs"
        subprocess.run(debootstrap_argv(target, mirror or debian_mirror()), check=True)
        subprocess.run(["chroot", str(target), "/bin/sh", "-c", DEVBOX_SETUP], check=True)
        tmp = out.with_suffix(".tmp")
        subprocess.run(["tar", "-C", str(target), "--numeric-owner", "-cf", str(tmp), "."],
                       check=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def dzlaunch_tar(cache: Path) -> Path:
    """A scratch rootfs holding only ``/dzlaunch``."""
    binary = (REPO_ROOT / "dzlaunch" / "out" / "dzlaunch").read_bytes()
    out = cache / f"dzlaunch-{hashlib.sha256(binary).hexdigest()[:16]}.tar"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
            _add(tar, "dzlaunch", data=binary, mode=0o755)
        tmp.rename(out)
    return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
