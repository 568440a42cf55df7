"""The API client of the CLI: where the server is, the team token, and error handling.

``dz login`` stores ``{"url", "token"}`` in ``$DZ_CONFIG`` (default
``~/.config/dz/config.json``, mode 0600); ``DZ_API_URL`` and ``DZ_TOKEN`` override it.
These are the CLI user's own settings, not the server's ``RB_*`` settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import requests

API = "/api/v1"


def config_path() -> Path:
    return Path(os.environ.get("DZ_CONFIG") or Path.home() / ".config" / "dz" / "config.json")


def save_config(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": url.rstrip("/"), "token": token}, out)
    return path


@dataclass
class Client:
    url: str
    token: str

    @classmethod
    def load(cls) -> Client:
        stored: dict = {}
        if config_path().exists():
            stored = json.loads(config_path().read_text())
        url = os.environ.get("DZ_API_URL") or stored.get("url")
        token = os.environ.get("DZ_TOKEN") or stored.get("token")
        if not url or not token:
            raise click.ClickException("not logged in: run 'dz login --url URL --token TOKEN'")
        return cls(url.rstrip("/"), token)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            resp = requests.request(method, f"{self.url}{API}{path}", timeout=kwargs.pop(
                "timeout", 30), headers={"Authorization": f"Bearer {self.token}"}, **kwargs)
        except requests.ConnectionError as exc:
            raise click.ClickException(f"cannot reach {self.url}: {exc}") from None
        if resp.status_code >= 400:
            raise click.ClickException(error_text(resp))
        return resp

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.request(method, path, **kwargs)
        return resp.json() if resp.content else None

    def stream_events(self, build_id: str, from_seq: int = 1) -> Iterator[dict]:
        """Follow a build's log as JSON events (replay, then live, until it ends)."""
        resp = self.request("GET", f"/builds/{build_id}/logs",
                            params={"format": "json", "from": from_seq, "follow": 1},
                            stream=True, timeout=(10, 300))
        with resp:
            for line in resp.iter_lines():
                if line:
                    yield json.loads(line)


def error_text(resp: requests.Response) -> str:
    try:
        error = resp.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}: {resp.text[:200]}"
    lines = [f"{error['message']} ({resp.status_code} {error['code']})"]
    details = error.get("details") or {}
    for problem in details.get("errors", []) if isinstance(details, dict) else []:
        lines.append("  " + (problem.get("text") or f"{problem.get('field')}: "
                                                     f"{problem.get('message')}"))
    return "\n".join(lines)
