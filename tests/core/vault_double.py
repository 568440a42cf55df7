"""A small Vault KV v2 HTTP server for tests (the one allowed stand-in).

It speaks the endpoints hvac's ``secrets.kv.v2`` uses, over real HTTP on a free
port: data read (``?version=``), write (returns the version), metadata read,
metadata delete and LIST.  It checks ``X-Vault-Token`` like Vault does (403 with
``permission denied``) and records each request's method and path, never bodies.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class VaultDouble:
    """In-memory KV v2 engine behind an HTTP server; use as a context manager."""

    def __init__(self, mount: str = "secret", token: str = "root-token") -> None:
        self.mount = mount
        self.tokens = {token}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> VaultDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rotate_token(self, new_token: str) -> None:
        """Accept only ``new_token`` from now on (simulates expiry/rotation)."""
        self.tokens = {new_token}

    # KV v2 semantics ------------------------------------------------------------

    def write(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            entry = self.secrets.setdefault(path, {"versions": {}, "created": _now()})
            version = len(entry["versions"]) + 1
            meta = {"created_time": _now(), "deletion_time": "", "destroyed": False,
                    "custom_metadata": None, "version": version}
            entry["versions"][version] = {"data": data, "metadata": meta}
            return meta

    def read(self, path: str, version: int | None) -> dict[str, Any] | None:
        entry = self.secrets.get(path)
        if entry is None or not entry["versions"]:
            return None
        return entry["versions"].get(version or max(entry["versions"]))

    def metadata(self, path: str) -> dict[str, Any] | None:
        entry = self.secrets.get(path)
        if entry is None:
            return None
        versions = {str(n): {k: v["metadata"][k]
                             for k in ("created_time", "deletion_time", "destroyed")}
                    for n, v in entry["versions"].items()}
        return {"current_version": max(entry["versions"]), "versions": versions,
                "created_time": entry["created"], "max_versions": 0, "oldest_version": 0,
                "cas_required": False, "delete_version_after": "0s", "custom_metadata": None}

    def list(self, prefix: str) -> list[str]:
        prefix = prefix.rstrip("/") + "/"
        keys = set()
        for path in self.secrets:
            if path.startswith(prefix):
                rest = path[len(prefix):]
                keys.add(rest.split("/", 1)[0] + "/" if "/" in rest else rest)
        return sorted(keys)

    # HTTP -----------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _reply(self, status: int, body: dict[str, Any] | None = None) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                double.requests.append((method, url.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                if self.headers.get("X-Vault-Token") not in double.tokens:
                    return self._reply(403, {"errors": ["permission denied"]})
                parts = url.path.split("/", 4)  # '', 'v1', mount, kind, path
                if len(parts) < 4 or parts[1] != "v1" or parts[2] != double.mount:
                    return self._reply(404, {"errors": ["no handler for route"]})
                kind, path = parts[3], parts[4] if len(parts) > 4 else ""
                query = parse_qs(url.query)
                if method == "GET" and query.get("list") == ["true"]:
                    method = "LIST"
                handler = getattr(self, f"_{kind}_{method.lower()}", None)
                if handler is None:
                    return self._reply(405, {"errors": ["unsupported operation"]})
                handler(path, query, body)

            def _data_get(self, path: str, query: dict, body: dict) -> None:
                version = int(query["version"][0]) if "version" in query else None
                found = double.read(path, version)
                if found is None:
                    return self._reply(404, {"errors": []})
                self._reply(200, {"data": {"data": found["data"],
                                           "metadata": found["metadata"]}})

            def _data_post(self, path: str, query: dict, body: dict) -> None:
                self._reply(200, {"data": double.write(path, body["data"])})

            _data_put = _data_post

            def _metadata_get(self, path: str, query: dict, body: dict) -> None:
                meta = double.metadata(path)
                if meta is None:
                    return self._reply(404, {"errors": []})
                self._reply(200, {"data": meta})

            def _metadata_delete(self, path: str, query: dict, body: dict) -> None:
                with double._lock:
                    double.secrets.pop(path, None)
                self._reply(204)

            def _metadata_list(self, path: str, query: dict, body: dict) -> None:
                keys = double.list(path)
                if not keys:
                    return self._reply(404, {"errors": []})
                self._reply(200, {"data": {"keys": keys}})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

            def do_DELETE(self) -> None:
                self._route("DELETE")

            def do_LIST(self) -> None:
                self._route("LIST")

        return Handler
