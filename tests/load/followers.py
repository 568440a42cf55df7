"""Websocket followers in a process of their own, so the test process's memory is the
web app's alone.

``python -m tests.load.followers`` reads ``{"url", "token", "builds": [id, ...]}`` as
JSON on stdin (one follower per entry; repeat an id to follow it several times),
follows every log from seq 1 to the final status frame, and prints one JSON result
per follower on stdout: the events seen as (seq, kind, data), the final state, and any
error (a refused handshake keeps its HTTP status).
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time

import websocket


def follow(url: str, token: str, build_id: str) -> dict:
    events: list[list] = []
    result: dict = {"build": build_id, "events": events, "state": None, "error": None,
                    "status": None}
    try:
        ws = websocket.create_connection(f"{url}/ws/builds/{build_id}/logs",
                                         header=[f"Authorization: Bearer {token}"],
                                         timeout=120)
    except websocket.WebSocketBadStatusException as exc:
        return {**result, "error": f"handshake refused: {exc}", "status": exc.status_code}
    except Exception as exc:  # connection refused or reset: counted as an error
        return {**result, "error": f"connect: {exc!r}"}
    try:
        while True:
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            frame = json.loads(data)
            if frame["type"] == "event":
                events.append([frame["seq"], frame["kind"], frame["data"]])
            elif frame["type"] == "status":
                result["state"] = frame["state"]
    except websocket.WebSocketConnectionClosedException:
        pass
    except Exception as exc:
        result["error"] = f"receive: {exc!r}"
    finally:
        ws.close()
    return result


def raise_open_files(wanted: int) -> None:
    """Each follower holds one socket; lift the soft limit towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def main() -> None:
    job = json.load(sys.stdin)
    raise_open_files(len(job["builds"]) + 256)
    threading.stack_size(512 * 1024)  # hundreds of threads that mostly wait on a socket
    results: list[dict] = [{} for _ in job["builds"]]

    def run(index: int, build_id: str) -> None:
        results[index] = follow(job["url"], job["token"], build_id)

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(job["builds"])]
    for thread in threads:
        thread.start()
        time.sleep(0.002)  # spread the handshakes over the server's listen backlog
    for thread in threads:
        thread.join()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
