"""The default devbox base with a real apt-get step (Debian's archive over host networking)."""

from __future__ import annotations

from core.db import BuildState

DEVBOX_RECIPE = """\
version: "3"
build:
  steps:
    - type: apt-get
      packages: [jq]
    - type: command
      command: echo '{"tool":"jq"}' | jq -r .tool && jq --version
"""


def test_devbox_recipe_with_apt_get_builds_for_real(pipeline):
    build = pipeline.wait(pipeline.submit(pipeline.team(), DEVBOX_RECIPE), timeout=600)

    assert build.state is BuildState.SUCCEEDED, build.error_message
    assert build.pinned_inputs["base_image"].startswith(
        pipeline.settings.default_base_image + "@sha256:")
    text = pipeline.log_text(build.id)
    assert "Setting up jq" in text
    assert "jq-1." in text
    steps = {s.step_id: s for s in pipeline.steps(build.id) if s.step_id}
    assert set(steps) == {"1-build-step-0", "1-build-step-1"}
    assert all(s.exit_status == 0 for s in steps.values())
