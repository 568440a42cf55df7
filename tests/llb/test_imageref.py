"""The one image-reference splitter every layer uses (llb/imageref.py)."""

from __future__ import annotations

import pytest

from llb.imageref import RefParts, is_registry_host, registry_host, repo_and_tag, split_ref


@pytest.mark.parametrize(("component", "expected"), [
    ("127.0.0.1:5000", True),
    ("registry.example", True),
    ("localhost", True),
    ("Upper", True),  # distribution/reference: upper case only ever appears in a host
    ("library", False),
    ("team", False),
])
def test_is_registry_host(component, expected):
    assert is_registry_host(component) is expected


@pytest.mark.parametrize(("ref", "parts"), [
    ("busybox", RefParts("", "busybox", None, "")),
    ("library/busybox:1", RefParts("", "library/busybox", "1", "")),
    ("localhost/app", RefParts("localhost", "app", None, "")),
    ("r:5000/a/b:v1@sha256:ab", RefParts("r:5000", "a/b", "v1", "sha256:ab")),
    ("r:5000/a/b", RefParts("r:5000", "a/b", None, "")),
    ("r:5000/a:", RefParts("r:5000", "a", "", "")),  # an empty tag stays visible to validators
])
def test_split_ref(ref, parts):
    assert split_ref(ref) == parts


@pytest.mark.parametrize("ref,repo,tag", [
    ("127.0.0.1:5000/team/app:v1", "127.0.0.1:5000/team/app", "v1"),
    ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app", "latest"),
    ("127.0.0.1:5000/team/app:v1@sha256:ab", "127.0.0.1:5000/team/app", "v1"),
    ("busybox", "busybox", "latest"),
])
def test_repo_and_tag(ref, repo, tag):
    assert repo_and_tag(ref) == (repo, tag)


def test_registry_host():
    assert registry_host("127.0.0.1:5000/t/a:1") == "127.0.0.1:5000"
    assert registry_host("library/busybox") == "docker.io"
