"""Load: 50 small builds submitted at once through the API, and 500 websocket followers
spread over them, on the real workers, BuildKit and registry.

Every build succeeds, every follower gets its build's whole log (contiguous sequence
numbers, the same events as the stored log) and a final status, nothing answers 5xx,
and the peak RSS of the web process and of every worker process stays bounded.  The
figures are printed (``pytest -s``); timings belong to bench/, so none is asserted.

The web app is served by the production server (``python -m app``: gunicorn, its
master and one gthread worker) in processes of their own, and the followers run in
a child process too (tests/load/followers.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from core.config import REPO_ROOT
from tests.load.rss import PeakRss

BUILDS = 50
FOLLOWERS = 500
LINES = 20
GIB = 1024 ** 3
PROCESS_RSS_LIMIT = int(1.5 * GIB)


def submit_all(stack, team, recipes: list[str]) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=len(recipes)) as pool:
        return list(pool.map(lambda y: stack.api(team, "POST", "/builds", json={"yaml": y}),
                             recipes))


def wait_all(stack, team, build_ids: list[str], timeout: float = 600) -> dict[str, dict]:
    """Poll the API until every build is terminal; every answer must be a 200."""
    done: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(build_ids) and time.monotonic() < deadline:
        for build_id in build_ids:
            if build_id in done:
                continue
            resp = stack.api(team, "GET", f"/builds/{build_id}")
            assert resp.status_code == 200, (build_id, resp.status_code, resp.text[:300])
            if resp.json()["terminal"]:
                done[build_id] = resp.json()
        time.sleep(0.5)
    missing = [b for b in build_ids if b not in done]
    assert not missing, f"{len(missing)} builds still running after {timeout}s"
    return done


def stored_log(stack, team, build_id: str) -> list[list]:
    resp = stack.api(team, "GET", f"/builds/{build_id}/logs?format=json")
    assert resp.status_code == 200, resp.text[:300]
    events = [json.loads(line) for line in resp.text.splitlines() if line.strip()]
    return [[e["seq"], e["kind"], e["data"]] for e in events]


def print_rss(sampler: PeakRss) -> None:
    print(f"\npeak RSS over {BUILDS} builds and {FOLLOWERS} followers:")
    for name, peak in sorted(sampler.tree_peak.items()):
        print(f"  {name:<10} all processes {peak / 2 ** 20:8.1f} MiB")
    for key, peak in sorted(sampler.process_peak.items()):
        print(f"  {key:<22} {peak / 2 ** 20:8.1f} MiB, {sampler.thread_peak[key]:5d} threads")


def test_50_builds_and_500_followers(load_stack):
    stack = load_stack
    team = stack.team()
    raised = stack.api(team, "PATCH", "/team", json={"concurrency_limit": BUILDS})
    assert raised.status_code == 200 and raised.json()["concurrency_limit"] == BUILDS, raised.text
    workers = stack.pipeline.workers
    sampler = PeakRss({"web": stack.web_pid, "compile": workers["compile"].pid,
                       "buildqd": workers["buildqd"].pid}, trees={"web", "compile", "buildqd"})
    sampler.start()
    started = time.monotonic()

    # Each build prints numbered lines carrying its index; stack.recipe makes every
    # step new to BuildKit's cache, so all 50 really run.
    recipes = [stack.recipe(f"for i in $(seq 1 {LINES}); do echo load-{n}-line-$i; done")
               for n in range(BUILDS)]
    responses = submit_all(stack, team, recipes)
    assert [r.status_code for r in responses] == [201] * BUILDS, [
        (r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    build_ids = [r.json()["id"] for r in responses]

    job = {"url": stack.url.replace("http", "ws", 1), "token": team.token,
           "builds": [build_ids[i % BUILDS] for i in range(FOLLOWERS)]}
    followers = subprocess.Popen([sys.executable, "-m", "tests.load.followers"], cwd=REPO_ROOT,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sampler.pids["followers"] = followers.pid
    try:
        out, _ = followers.communicate(json.dumps(job), timeout=600)
    finally:
        if followers.poll() is None:
            followers.kill()
    assert followers.returncode == 0
    results = json.loads(out)
    finals = wait_all(stack, team, build_ids)
    sampler.stop()
    print_rss(sampler)
    print(f"  wall time from submit to last follower done: {time.monotonic() - started:.1f} s")

    not_ok = {b: (f["state"], f.get("error")) for b, f in finals.items()
              if f["state"] != "succeeded"}
    assert not not_ok, not_ok
    errors = [(r["build"], r["status"], r["error"]) for r in results if r["error"]]
    assert not errors, errors[:10]
    assert len(results) == FOLLOWERS
    logs = {b: stored_log(stack, team, b) for b in build_ids}
    for n, build_id in enumerate(build_ids):
        text = "".join(data for _, _, data in logs[build_id])
        assert f"load-{n}-line-{LINES}" in text, text[-2000:]
    for result in results:
        build_id, events = result["build"], result["events"]
        seqs = [seq for seq, _, _ in events]
        assert result["state"] == "succeeded", (build_id, result["state"])
        assert seqs == list(range(1, len(seqs) + 1)), (build_id, seqs)  # no gap, no repeat
        assert events == logs[build_id], build_id  # the whole log, as stored

    for key, peak in sampler.process_peak.items():
        if not key.startswith("followers"):
            assert peak < PROCESS_RSS_LIMIT, (key, peak)
