"""Builds through the API on the real pipeline: create, list, get, cancel, logs, plan."""

from __future__ import annotations

import json

from tests.app.pipekit import *  # noqa: F403


def test_build_a_saved_recipe_and_read_its_logs(stack):
    team = stack.team()
    text = stack.recipe("echo built-by-api", "echo second-step")
    recipe = stack.api(team, "POST", "/recipes", json={"name": "demo", "yaml": text}).json()
    resp = stack.api(team, "POST", "/builds", json={"recipe_id": recipe["id"]})
    assert resp.status_code == 201, resp.text
    build = resp.json()
    assert build["state"] == "queued" and build["recipe_id"] == recipe["id"]
    done = stack.wait(team, build["id"])
    assert done["state"] == "succeeded", done
    assert done["image_ref"] and done["image_digest"].startswith("sha256:")
    assert done["elapsed_s"] > 0 and done["finished_at"]
    assert [s["step_id"] for s in done["steps"] if s["step_id"]][:2] == [
        "1-build-step-0", "1-build-step-1"]

    text_log = stack.api(team, "GET", f"/builds/{build['id']}/logs").text
    assert "built-by-api" in text_log and "second-step" in text_log
    lines = stack.api(team, "GET", f"/builds/{build['id']}/logs?format=json").text.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["kind"] == "end" and events[-1]["data"] == "succeeded"
    tail = stack.api(team, "GET", f"/builds/{build['id']}/logs?format=json&from=3").text
    assert [json.loads(x)["seq"] for x in tail.splitlines()] == [e["seq"] for e in events[2:]]

    listed = stack.api(team, "GET", f"/builds?recipe_id={recipe['id']}").json()["builds"]
    assert [b["id"] for b in listed] == [build["id"]]
    assert stack.api(team, "GET", "/builds?state=failed").json()["builds"] == []
    assert stack.api(team, "GET", "/builds?state=nope").status_code == 400

    # Another team sees none of it.
    other = stack.team()
    for method, path in [("GET", f"/builds/{build['id']}"),
                         ("GET", f"/builds/{build['id']}/logs"),
                         ("POST", f"/builds/{build['id']}/cancel")]:
        assert stack.api(other, method, path).status_code == 404, path
    assert stack.api(other, "GET", "/builds").json()["builds"] == []


def test_failed_one_off_build_names_the_step(stack):
    team = stack.team()
    text = stack.recipe("echo fine", "exit 3")
    build = stack.api(team, "POST", "/builds", json={"yaml": text}).json()
    assert build["one_off"] is True
    done = stack.wait(team, build["id"])
    assert done["state"] == "failed"
    assert done["error"]["step_id"] == "1-build-step-1"
    assert done["error"]["line"] is not None
    log = stack.api(team, "GET", f"/builds/{build['id']}/logs").text
    assert "Build failed with code" in log


def test_invalid_one_off_yaml_is_refused_before_queueing(stack):
    team = stack.team()
    resp = stack.api(team, "POST", "/builds", json={"yaml": 'version: "3"\nbuild: 7\n'})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_recipe"
    assert stack.api(team, "GET", "/builds").json()["builds"] == []


def test_cancel_a_running_build(stack):
    team = stack.team()
    build = stack.api(team, "POST", "/builds",
                      json={"yaml": stack.recipe("echo start; sleep 120")}).json()
    resp = stack.api(team, "POST", f"/builds/{build['id']}/cancel")
    assert resp.status_code == 202
    done = stack.wait(team, build["id"], timeout=120)
    assert done["state"] == "cancelled"
    again = stack.api(team, "POST", f"/builds/{build['id']}/cancel")
    assert again.status_code == 409


def test_plan_explains_cache_hits_and_misses(stack):
    team = stack.team()
    v1 = stack.recipe("echo one", "echo two", "echo three")
    recipe = stack.api(team, "POST", "/recipes", json={"name": "planned", "yaml": v1}).json()
    first = stack.api(team, "POST", f"/recipes/{recipe['id']}/plan", json={}).json()
    assert {s["reason"] for s in first["steps"]} == {"no previous successful build"}
    assert first["compared_with"] is None
    build = stack.api(team, "POST", "/builds", json={"recipe_id": recipe["id"]}).json()
    assert stack.wait(team, build["id"])["state"] == "succeeded"

    same = stack.api(team, "POST", f"/recipes/{recipe['id']}/plan", json={}).json()
    assert same["compared_with"] == build["id"]
    assert [s["action"] for s in same["steps"]] == ["cached"] * 3

    v2 = v1.replace("echo two", "echo TWO")
    stack.api(team, "PUT", f"/recipes/{recipe['id']}", json={"yaml": v2})
    plan = stack.api(team, "POST", f"/recipes/{recipe['id']}/plan", json={}).json()
    assert [(s["action"], s["reason"]) for s in plan["steps"]] == [
        ("cached", None), ("run", "step changed"), ("run", "an earlier step changed")]
    assert plan["summary"] == {"cached": 1, "run": 2}
