"""``/healthz``: the real state of every service the system needs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, jsonify

from core import health

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    from app import settings_of

    settings = settings_of(current_app)
    probes = {
        "redis": lambda: health.redis_check(settings.redis_url),
        "buildkit": lambda: health.buildkit_check(settings.buildkit_addr),
        "registry": lambda: health.registry_check(settings.registry_url),
        "database": lambda: health.database_check(settings.database_url),
        "secrets": lambda: health.secret_store_check(settings.vault_addr),
    }
    # Probes run side by side so one slow service costs one timeout, not four.
    with ThreadPoolExecutor(len(probes)) as pool:
        futures = {name: pool.submit(probe) for name, probe in probes.items()}
        checks = {name: future.result() for name, future in futures.items()}
    ok = all(c.ok for c in checks.values())
    body = {"status": "ok" if ok else "unavailable",
            "checks": {name: c.as_dict() for name, c in checks.items()}}
    return jsonify(body), 200 if ok else 503
