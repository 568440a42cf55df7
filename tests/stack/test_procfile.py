"""``honcho start`` brings up web, both workers, beat and Flower from the Procfile;
Flower refuses anyone without its password, and shows both queues and the tasks of a
build by its id to who has it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import requests

from core.config import REPO_ROOT
from stack.flower import credentials
from tasks.celery_app import make_celery


def wait_for(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def test_honcho_starts_web_workers_and_flower(settings, redis_url, build_engine, free_port):
    web, flower = free_port(), free_port()
    env = {**os.environ, "RB_WEB_PORT": str(web), "RB_FLOWER_PORT": str(flower)}
    proc = subprocess.Popen([str(REPO_ROOT / ".venv/bin/honcho"), "start"], cwd=REPO_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        assert wait_for(lambda: requests.get(f"http://127.0.0.1:{web}/healthz", timeout=5)
                        .status_code == 200, 60)
        auth = credentials(settings)
        assert wait_for(lambda: requests.get(f"http://127.0.0.1:{flower}/", auth=auth,
                                             timeout=5).ok, 60)
        # Flower can revoke any team's task: without the password, nothing answers.
        for path in ("/", "/api/workers", "/api/tasks"):
            anonymous = requests.get(f"http://127.0.0.1:{flower}{path}", timeout=5)
            assert anonymous.status_code == 401, path
        wrong = requests.post(f"http://127.0.0.1:{flower}/api/task/revoke/x",
                              auth=(auth[0], "guess"), timeout=5)
        assert wrong.status_code == 401

        celery = make_celery()
        try:
            names: set[str] = set()

            def workers_answer() -> bool:
                replies = celery.control.inspect(timeout=2).active_queues() or {}
                names.update(replies)
                return {n.split("@")[0] for n in names} >= {"compile", "buildqd"}

            assert wait_for(workers_answer, 60), names
            queues = celery.control.inspect(timeout=2).active_queues()
            by_worker = {n.split("@")[0]: {q["name"] for q in qs} for n, qs in queues.items()}
            assert "compile" in by_worker["compile"] and "buildqd" in by_worker["buildqd"]
            # A task routed to the compile queue is consumed and answered; the pipeline
            # names a build's tasks "<build id>.compile" / ".build", as here.
            task_id = f"build-{uuid.uuid4().hex}.compile"
            sent = celery.send_task("tasks.maintenance.ping", queue="compile", task_id=task_id)
            assert sent.get(timeout=30) == "pong"

            flower_api = f"http://127.0.0.1:{flower}/api"
            assert wait_for(lambda: requests.get(f"{flower_api}/task/info/{task_id}", auth=auth,
                                         timeout=5)
                            .json().get("state") == "SUCCESS", 30)
            workers = requests.get(f"{flower_api}/workers", params={"refresh": "1"},
                                   auth=auth, timeout=30).json()
            shown = {q["name"] for w in workers.values() for q in w.get("active_queues", [])}
            assert {"compile", "buildqd"} <= shown, workers
        finally:
            celery.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
