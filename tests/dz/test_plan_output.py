"""``dz plan`` lines: a step that reruns for a secret names the secret."""

from __future__ import annotations

from dz.commands.builds import plan_reason


def test_a_rotated_secret_is_named():
    step = {"action": "run", "reason": "secret rotated", "details": {"secrets": ["team.NPM"]}}
    assert plan_reason(step) == "run: secret team.NPM changed"


def test_other_reasons_and_cache_hits():
    assert plan_reason({"action": "cached", "reason": None, "details": {}}) == "CACHED"
    step = {"action": "run", "reason": "an earlier step changed",
            "details": {"step": "1-build-step-0"}}
    assert plan_reason(step) == "run: an earlier step changed"
