"""LLB graph: immutable states built by pure functions, and the one marshaller.

Modelled on BuildKit's Go ``client/llb``; ``marshal`` gives the same bytes and
digests as the Go client v0.24 for the same graph.

Example:
    >>> from llb.graph import image, mkdir, marshal, secret_mount
    >>> base = image("127.0.0.1:5000/library/busybox:1", platform="linux/amd64")
    >>> st = base.run(["/bin/sh", "-c", "echo hi"], custom_name="[build 1/1] hi").root()
    >>> st = st.file(mkdir("/home/devzero", 0o755, parents=True, owner="devzero"))
    >>> definition = marshal(st)
"""

from .caps import (
    V0_8_LLB_CAPS,
    UnsupportedCapsError,
    check_caps,
    required_caps,
)
from .definition import Definition
from .exec import (
    BindMount,
    CacheMount,
    ExecState,
    SecretMount,
    SSHMount,
    TmpfsMount,
    bind,
    cache_mount,
    run,
    secret_mount,
    ssh_mount,
    tmpfs,
)
from .fileop import FileAction, copy, file_op, mkdir, mkfile, rm
from .layers import Layers
from .limits import DOCKER_20_10_MAX_MESSAGE, DefinitionTooLargeError, check_size
from .marshal import digest_of, marshal
from .sources import git, image, normalize_image_ref
from .state import Output, State, scratch
from .types import (
    LINUX_AMD64,
    CacheSharing,
    GraphError,
    NetMode,
    OpMeta,
    Owner,
    Platform,
    Position,
    Range,
    SecurityMode,
    SourceLocation,
    SourceMap,
    UserRef,
    owner,
)

__all__ = [
    "BindMount",
    "CacheMount",
    "CacheSharing",
    "DOCKER_20_10_MAX_MESSAGE",
    "Definition",
    "DefinitionTooLargeError",
    "ExecState",
    "FileAction",
    "GraphError",
    "LINUX_AMD64",
    "Layers",
    "NetMode",
    "OpMeta",
    "Output",
    "Owner",
    "Platform",
    "Position",
    "Range",
    "SSHMount",
    "SecretMount",
    "SecurityMode",
    "SourceLocation",
    "SourceMap",
    "State",
    "TmpfsMount",
    "UnsupportedCapsError",
    "UserRef",
    "V0_8_LLB_CAPS",
    "bind",
    "cache_mount",
    "check_caps",
    "check_size",
    "copy",
    "digest_of",
    "file_op",
    "git",
    "image",
    "marshal",
    "mkdir",
    "mkfile",
    "normalize_image_ref",
    "owner",
    "required_caps",
    "rm",
    "run",
    "scratch",
    "secret_mount",
    "ssh_mount",
    "tmpfs",
]
