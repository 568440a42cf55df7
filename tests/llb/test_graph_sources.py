"""Image and git sources: identifiers, attributes, caps and platforms as the Go client writes."""

from __future__ import annotations

import pytest

from llb.graph import GraphError, git, image, marshal, normalize_image_ref


@pytest.mark.parametrize(
    ("ref", "normalized"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("library/busybox:1", "docker.io/library/busybox:1"),
        ("team/app", "docker.io/team/app:latest"),
        ("localhost/app", "localhost/app:latest"),
        ("127.0.0.1:5000/library/busybox:1", "127.0.0.1:5000/library/busybox:1"),
        ("registry.example:443/a/b/c:v1.2", "registry.example:443/a/b/c:v1.2"),
        ("index.docker.io/x/y", "docker.io/x/y:latest"),
        ("alpine@sha256:" + "a" * 64, "docker.io/library/alpine@sha256:" + "a" * 64),
        ("alpine:3@sha256:" + "b" * 64, "docker.io/library/alpine:3@sha256:" + "b" * 64),
    ],
)
def test_image_refs_are_normalized_like_docker(ref, normalized):
    assert normalize_image_ref(ref) == normalized


@pytest.mark.parametrize("ref", ["", "Busybox", "busybox:", "busy box", "a@sha256:xyz"])
def test_invalid_image_refs_are_refused(ref):
    with pytest.raises(GraphError):
        image(ref)


def _source(state):
    definition = marshal(state)
    digest = definition.head[0]
    return definition.op(digest), definition.metadata(digest)["caps"]


def test_image_platform_defaults_to_the_marshal_platform():
    op, caps = _source(image("busybox"))
    assert (op.platform.OS, op.platform.Architecture) == ("linux", "amd64")
    arm = marshal(image("busybox", platform="linux/arm64"))
    assert arm.op(arm.head[0]).platform.Architecture == "arm64"
    assert caps == {"source.image": True}


def test_resolve_mode_pull_needs_its_cap_and_local_does_not():
    op, caps = _source(image("busybox", resolve_mode="pull"))
    assert op.source.attrs["image.resolvemode"] == "pull"
    assert "source.image.resolvemode" in caps
    op, caps = _source(image("busybox", resolve_mode="local"))
    assert op.source.attrs["image.resolvemode"] == "local" and set(caps) == {"source.image"}
    op, _ = _source(image("busybox", resolve_mode="default"))
    assert "image.resolvemode" not in op.source.attrs


def test_git_with_token_secret_names_the_secret_and_adds_httpauth():
    op, caps = _source(git("https://git.example/org/repo.git", "v1", auth_token_secret="tok.1"))
    assert op.source.identifier == "git://git.example/org/repo.git#v1"
    assert op.source.attrs["git.authtokensecret"] == "tok.1"
    assert op.source.attrs["git.authheadersecret"] == "GIT_AUTH_HEADER"
    assert op.source.attrs["git.fullurl"] == "https://git.example/org/repo.git"
    assert not op.HasField("platform")
    assert set(caps) == {"source.git", "source.git.fullurl", "source.git.httpauth"}


def test_git_without_scheme_is_https_and_scp_style_is_ssh():
    op, _ = _source(git("git.example/org/repo.git"))
    assert op.source.attrs["git.fullurl"] == "https://git.example/org/repo.git"
    assert op.source.identifier == "git://git.example/org/repo.git"
    op, caps = _source(git("git@git.example:org/repo.git", "main", keep_git_dir=True))
    assert op.source.identifier == "git://git.example/org/repo.git#main"
    assert op.source.attrs["git.mountsshsock"] == "default"
    assert op.source.attrs["git.keepgitdir"] == "true"
    assert {"source.git.mountsshsock", "source.git.knownsshhosts", "source.git.keepgitdir"} <= set(
        caps
    )


def test_git_refuses_unknown_protocols():
    with pytest.raises(GraphError, match="unsupported protocol"):
        git("ftp://host/repo.git")
