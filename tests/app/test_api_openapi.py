"""The OpenAPI document matches the real routes, and schemathesis, generating requests
from it, provokes no server error (a bounded number of examples per operation)."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.app.apikit import *  # noqa: F403


def test_document_lists_exactly_the_api_routes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def fuzz(operation, headers: dict, failures: list, calls: list) -> None:
    """Run a dozen generated requests against one operation, collecting failures."""

    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        calls.append(operation.path)
        try:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
            raise

    try:
        check()
    except Exception:  # recorded in failures; keep going so one run reports every operation
        pass


def test_no_server_errors(app, team_a):
    """Every operation, a dozen generated requests each, none answered with a 5xx."""
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, calls, operations = [], [], 0
    for result in api.get_all_operations():
        operation = result.ok()
        # Builds are proven end to end on real workers elsewhere; fuzzing them would
        # queue real builds that no worker of this test consumes.
        if operation.method.upper() == "POST" and operation.path == "/builds":
            continue
        operations += 1
        fuzz(operation, team_a.headers(), failures, calls)
    assert not failures, "\n".join(failures[:5])
    assert operations >= 25 and len(calls) >= 3 * operations  # it really generated requests
