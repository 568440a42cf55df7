"""The image push as a step of its own (pure: events in, events out)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buildkit.progress import (
    Progress,
    PushProgress,
    VertexCompleted,
    VertexFailed,
    VertexProgress,
    VertexStarted,
)
from buildkit.render import PlainRenderer, to_json
from pipeline.pushstep import PushStep
from pipeline.solving import source_images

T0 = datetime(2026, 1, 1, tzinfo=UTC)
IMAGE = "reg:5000/team/app:7"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def status(id_: str, seconds: float, completed: bool = False) -> Progress:
    return Progress("sha256:exporter", id_, "", 0, 0, completed, at(seconds))


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> datetime:
        return at(self.t)

    def monotonic(self) -> float:
        return self.t


def test_buildkitd_push_statuses_become_a_step_timed_from_first_status_to_manifest():
    clock = Clock()
    push = PushStep(IMAGE, now=clock.now, monotonic=clock.monotonic)
    # The exporter's own statuses are not the push.
    assert push.feed(status("exporting layers", 1.0)) == []
    started = push.feed(status("pushing layers", 2.0))
    assert started == [VertexStarted(f"push:{IMAGE}", f"[push] {IMAGE}", at(2.0))]
    assert push.feed(status("pushing layers", 3.0, completed=True)) == []
    assert push.feed(status(f"pushing manifest for {IMAGE}@sha256:1", 3.5, completed=True)) == []
    clock.t = 9.0  # the registry read after the solve does not count
    final, done = push.finish(image_size=30_000_000)
    # buildkitd counts no bytes: the image's size stands in, over the push's seconds.
    assert final == VertexProgress(f"push:{IMAGE}", f"[push] {IMAGE}", 30_000_000,
                                   30_000_000, 1.5)
    assert final.rate == 20_000_000
    assert done == VertexCompleted(f"push:{IMAGE}", f"[push] {IMAGE}", at(2.0), at(3.5))
    assert push.finish(image_size=1) == []  # once


def test_engine_push_counts_sent_bytes_live_and_leaves_out_layers_the_registry_had():
    clock = Clock()
    push = PushStep(IMAGE, interval_s=1.0, now=clock.now, monotonic=clock.monotonic)
    events = push.feed(PushProgress(IMAGE, "aaa", "Preparing", 0, 0))
    assert [e.kind for e in events] == ["vertex.started"]
    push.feed(PushProgress(IMAGE, "bbb", "Layer already exists", 0, 0))
    clock.t = 0.5
    assert push.feed(PushProgress(IMAGE, "aaa", "Pushing", 4_000_000, 10_000_000)) == []
    clock.t = 1.0  # a second since the last report: the bytes so far go out
    (live,) = push.feed(PushProgress(IMAGE, "aaa", "Pushing", 5_000_000, 10_000_000))
    assert (live.current, live.total, live.seconds) == (5_000_000, 10_000_000, 1.0)
    clock.t = 1.2
    push.feed(PushProgress(IMAGE, "aaa", "Pushed", 0, 0))
    clock.t = 2.0
    final, done = push.finish(image_size=99_000_000)
    assert (final.current, final.total, final.seconds) == (10_000_000, 10_000_000, 2.0)
    assert done.completed == at(2.0)


def test_a_push_that_fails_fails_its_step_and_no_push_means_no_step():
    push = PushStep(IMAGE)
    assert push.finish(image_size=5) == [] and push.fail("boom") == []
    push.feed(status("pushing layers", 1.0))
    (failed,) = push.fail("unexpected status from PUT request: 500")
    assert isinstance(failed, VertexFailed) and failed.error.endswith("500")


def test_the_push_step_renders_as_a_numbered_step_with_bytes_and_rate():
    renderer = PlainRenderer()
    step = VertexStarted(f"push:{IMAGE}", f"[push] {IMAGE}", at(0))
    moved = VertexProgress(f"push:{IMAGE}", f"[push] {IMAGE}", 12_300_000, 41_200_000, 1.5)
    assert renderer.feed(step) == [f"#1 [push] {IMAGE}"]
    assert renderer.feed(moved) == ["#1 12.3 MB / 41.2 MB 1.5s (8.2 MB/s)"]
    record = to_json(moved)
    assert record["type"] == "vertex.progress" and record["rate_bps"] == 8_200_000
    assert (record["current"], record["total"], record["seconds"]) == (12_300_000, 41_200_000, 1.5)


def test_the_push_is_sized_against_the_images_the_build_started_from():
    base = "reg:5000/library/devbox:bookworm@sha256:e98"
    launcher = "reg:5000/library/dzlaunch:0.3.0@sha256:520"
    pinned = {"base_image": base, "dzlaunch_image": launcher, "env": "sha256:0"}
    assert source_images(pinned) == [base, launcher]
    assert source_images({"base_image": base}) == [base]
