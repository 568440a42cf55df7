"""Slugs, tags and references of the team registry."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.naming import (
    ImageRef,
    InvalidName,
    cache_ref,
    image_ref,
    latest_ref,
    parse_ref,
    validate_slug,
    validate_team,
)

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def test_build_reference_has_version_and_utc_timestamp():
    local = WHEN.astimezone(dt.timezone(dt.timedelta(hours=2)))
    ref = image_ref("127.0.0.1:5000", "acme", "web-app", "1.2.0", local)
    assert str(ref) == "127.0.0.1:5000/acme/web-app:1.2.0-20260304T050607Z"


def test_latest_and_cache_references():
    assert str(latest_ref("r:5000", "acme", "web")) == "r:5000/acme/web:latest"
    assert str(cache_ref("r:5000", "acme", "web")) == "r:5000/acme/web:cache"


@pytest.mark.parametrize("slug", ["a", "web-app", "web--app", "a.b", "a_b", "a__b", "x1"])
def test_valid_slugs(slug):
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "Web", "-a", "a-", "a..b", "a___b", "a/b", "a b", "x" * 64])
def test_invalid_slugs(slug):
    with pytest.raises(InvalidName):
        validate_slug(slug)


def test_library_is_not_a_team():
    with pytest.raises(InvalidName, match="reserved"):
        validate_team("library")


def test_invalid_version_is_refused_by_tag_grammar():
    with pytest.raises(InvalidName, match="tag"):
        image_ref("r:5000", "acme", "web", "1.0 beta", WHEN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5000/library/busybox", ImageRef("127.0.0.1:5000", "library/busybox")),
        ("r.example/a/b:v1", ImageRef("r.example", "a/b", "v1")),
        ("localhost/a@sha256:" + "0" * 64, ImageRef("localhost", "a", None, "sha256:" + "0" * 64)),
        ("r:1/a:t@sha256:" + "1" * 64, ImageRef("r:1", "a", "t", "sha256:" + "1" * 64)),
    ],
)
def test_parse_ref_round_trips(text, expected):
    assert parse_ref(text) == expected
    assert str(parse_ref(text)) == text


@pytest.mark.parametrize("text", ["busybox:latest", "library/busybox", "r:1/UPPER", "r:1/a@md5:x"])
def test_parse_ref_refuses(text):
    with pytest.raises(InvalidName):
        parse_ref(text)
