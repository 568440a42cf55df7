"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Request bodies come from the pydantic models in :mod:`app.api.schemas` (the same
models that validate requests); responses are described here.  A test checks
that every route of the blueprint is documented and nothing else is.
"""

from __future__ import annotations

import re
from typing import Any

from flask import jsonify

from app.api import PREFIX, bp, members, migrate, schemas
from app.api.builds import FOLLOW, MAX_LIST
from app.api.inputlimits import MAX_PATH_INT
from app.api.migrate import MigrateRequest
from app.api.params import MAX_SEQ
from app.api.team import RESERVED_PREFIX

J = dict[str, Any]


def _obj(props: J, required: list[str] | None = None) -> J:
    return {"type": "object", "properties": props, "required": required or list(props)}


def _nullable(schema: J) -> J:
    return {"anyOf": [schema, {"type": "null"}]}


STR, INT, NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
BOOL = {"type": "boolean"}
TIME = _nullable({"type": "string", "format": "date-time"})
ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731

DIAG = _obj({"file": STR, "line": INT, "col": INT, "path": STR, "message": STR,
             "severity": {"enum": ["error", "warning"]}, "text": STR})
VERSION = _obj({"id": STR, "recipe_id": STR, "number": INT, "author_id": _nullable(STR),
                "created_at": TIME, "yaml": STR}, ["id", "recipe_id", "number", "created_at"])
BUILD_SUMMARY = _obj({"id": STR, "state": STR, "queued_at": TIME, "finished_at": TIME,
                      "image_ref": _nullable(STR)})
RECIPE = _obj({"id": STR, "name": STR, "created_at": TIME,
               "latest_version": _nullable(ref("Version")), "version": _nullable(ref("Version")),
               # In the list: the recipe's most recent build, or null before its first.
               "last_build": _nullable(BUILD_SUMMARY)},
              ["id", "name", "created_at", "latest_version"])
STEP = _obj({"position": INT, "step_id": _nullable(STR), "name": STR, "vertex": STR,
             "status": {"enum": ["waiting", "running", "done", "cached", "failed",
                                 "cancelled"]},
             "cached": BOOL, "started_at": TIME, "completed_at": TIME,
             "duration_s": _nullable(NUM), "exit_status": _nullable(INT), "error": _nullable(STR)})
BUILD = _obj({
    "id": STR, "state": {"enum": ["queued", "compiling", "building", "pushing", "succeeded",
                                  "failed", "cancelled", "timed_out"]},
    "terminal": BOOL, "recipe_id": _nullable(STR), "recipe_version_id": _nullable(STR),
    "one_off": BOOL, "requested_by": _nullable(STR), "cancel_requested": BOOL,
    "queued_at": TIME, "compiling_at": TIME, "building_at": TIME, "pushing_at": TIME,
    "finished_at": TIME, "elapsed_s": NUM, "image_ref": _nullable(STR),
    "image_digest": _nullable(STR), "definition_digest": _nullable(STR),
    "joined_build_id": _nullable(STR),
    "error": _nullable(_obj({"message": STR, "step_id": _nullable(STR), "line": _nullable(INT)})),
    "steps": {"type": "array", "items": ref("Step")},
}, ["id", "state", "terminal", "queued_at", "elapsed_s", "image_ref", "error"])
TEAM = _obj({"id": STR, "slug": STR, "name": STR, "build_timeout_s": INT,
             "concurrency_limit": INT})
ENV = _obj({"name": STR, "value": STR, "updated_at": TIME})
SECRET = _obj({"name": STR, "version": INT, "versions": {"type": "array", "items": INT},
               "created_at": TIME, "updated_at": TIME})
PLAN_STEP = _obj({"id": STR, "name": STR, "digest": STR, "action": {"enum": ["cached", "run"]},
                  "reason": _nullable({"enum": ["step changed", "an earlier step changed",
                                                "base image changed", "secret rotated",
                                                "env changed", "no previous successful build"]}),
                  "details": {"type": "object"}})
PLAN = _obj({"recipe_id": STR, "recipe_version_id": _nullable(STR),
             "compared_with": _nullable(STR),
             "summary": _obj({"cached": INT, "run": INT}),
             "steps": {"type": "array", "items": ref("PlanStep")}})
VALIDATION = _obj({"valid": BOOL, "errors": {"type": "array", "items": ref("Diagnostic")},
                   "warnings": {"type": "array", "items": ref("Diagnostic")}})
CREDENTIALS = _obj({"registry": STR, "username": STR, "password": STR, "namespace": STR,
                    "note": STR})
TOKEN = _obj({"id": STR, "name": STR, "prefix": STR, "user": _nullable(STR),
              "created_at": TIME, "last_used_at": TIME})
ROLE = {"enum": ["owner", "member"]}
MEMBER = _obj({"user_id": STR, "username": STR, "display_name": STR, "role": ROLE})
USER_ID = {"type": "string", "pattern": r"^user-[0-9a-f]{32}$"}
MIGRATION = _obj({"yaml": STR,
                  "changes": {"type": "array", "items": _obj({"line": _nullable(INT),
                                                              "message": STR})},
                  "untranslated": {"type": "array", "items": _obj({"line": _nullable(INT),
                                                                   "reason": STR})}})
NOTE = {"type": "array", "items": _obj({"line": INT, "message": STR})}
MIGRATION = _obj({"yaml": STR, "changes": NOTE,
                  "untranslated": {"type": "array", "items": _obj({"line": INT, "reason": STR})}})
ERROR = _obj({"error": _obj({"code": STR, "message": STR, "details": {}})})


def _list(key: str, item: str) -> J:
    return _obj({key: {"type": "array", "items": ref(item)}})


def _param(name: str, where: str = "path", schema: J | None = None, desc: str = "") -> J:
    return {"name": name, "in": where, "required": where == "path",
            "schema": schema or STR, "description": desc}


def _reserved_prefix_lookahead(prefix: str) -> str:
    """A regex lookahead refusing ``prefix`` in any letter case (the server's check)."""
    return "(?!" + "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c
                           for c in prefix) + ")"


# Env var and secret names (app/api/team.py: shell-safe, not in the reserved namespace).
VAR_NAME = {"type": "string",
            "pattern": "^" + _reserved_prefix_lookahead(RESERVED_PREFIX)
            + schemas.VAR_NAME.removeprefix("^")}
NUMBER = {"type": "integer", "minimum": 1, "maximum": MAX_PATH_INT}
RECIPE_ID = {"type": "string", "pattern": r"^recipe-[0-9a-f]{32}$"}


def _build_create() -> J:
    """``POST /builds`` takes exactly one of its three inputs (the model checks it in code)."""
    fields = schemas.BuildCreate.model_json_schema()["properties"]
    variants = []
    for given, field in fields.items():
        given_schema = next(s for s in field["anyOf"] if s.get("type") != "null")
        props = {name: {"type": "null"} for name in fields if name != given}
        props[given] = {**given_schema, "description": field.get("description", given)}
        variants.append({"type": "object", "properties": props, "required": [given],
                         "additionalProperties": False})
    return {"oneOf": variants}


# Where a response's ids lead: operations the stateful tests (and clients) may follow.
LINKS: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/recipes"): {"recipe_id": "$response.body#/id",
                           "number": "$response.body#/version/number"},
    ("post", "/builds"): {"build_id": "$response.body#/id"},
    ("put", "/team/env/{name}"): {"name": "$response.body#/name"},
    ("put", "/team/secrets/{name}"): {"name": "$response.body#/name"},
    ("post", "/team/members"): {"user_id": "$response.body#/user_id"},
}


# (method, path, summary, request model, success status, response schema, parameters)
ROUTES: list[tuple] = [
    ("post", "/session", "Sign in (browser session)", schemas.SignIn, 200,
     _obj({"team": STR, "role": STR, "user_id": STR, "csrf_token": STR}), []),
    ("delete", "/session", "Sign out", None, 204, None, []),
    ("get", "/me", "The caller: team, role, how authenticated", None, 200,
     _obj({"team": ref("Team"), "role": STR, "user_id": _nullable(STR), "via": STR}), []),
    ("get", "/team", "Team settings", None, 200, ref("Team"), []),
    ("patch", "/team", "Change build timeout / concurrency limit (owners)",
     schemas.TeamSettingsUpdate, 200, ref("Team"), []),
    ("get", "/team/env", "List env vars", None, 200, _list("env", "EnvVar"), []),
    ("put", "/team/env/{name}", "Create or replace an env var", schemas.ValueBody, 200,
     ref("EnvVar"), [("name", VAR_NAME)]),
    ("delete", "/team/env/{name}", "Delete an env var", None, 204, None, [("name", VAR_NAME)]),
    ("get", "/team/secrets", "List secret names and versions (never values)", None, 200,
     _list("secrets", "Secret"), []),
    ("put", "/team/secrets/{name}", "Set or rotate a secret (write-only)", schemas.SecretValue,
     200, ref("Secret"), [("name", VAR_NAME)]),
    ("delete", "/team/secrets/{name}", "Delete a secret and all its versions", None, 204, None,
     ["name"]),
    ("get", "/team/members", "List the team's members and their roles", None, 200,
     _list("members", "Member"), []),
    ("post", "/team/members", "Add a user by username; an unknown one is created with the "
     "given password (owners)", members.MemberAdd, 201, ref("Member"), []),
    ("patch", "/team/members/{user_id}", "Change a member's role; the last owner stays "
     "owner (owners)", members.MemberUpdate, 200, ref("Member"), [("user_id", USER_ID)]),
    ("delete", "/team/members/{user_id}", "Remove a member, revoking their tokens in the "
     "team; never the last owner (owners)", None, 204, None, [("user_id", USER_ID)]),
    ("get", "/team/tokens", "List API tokens, never their secrets (owners)", None, 200,
     _list("tokens", "Token"), []),
    ("post", "/team/tokens", "Create an API token, shown once (owners)", schemas.TokenCreate,
     201, _obj({"id": STR, "name": STR, "token": STR}), []),
    ("delete", "/team/tokens/{token_id}", "Revoke an API token (owners)", None, 204, None,
     ["token_id"]),
    ("post", "/team/registry-credentials", "Create the registry robot credential, shown once",
     None, 201, ref("Credentials"), []),
    ("post", "/team/registry-credentials/rotate", "Rotate the registry robot credential",
     None, 200, ref("Credentials"), []),
    ("post", "/recipes/validate", "Validate recipe YAML: every problem with line and column",
     schemas.ValidateRequest, 200, ref("Validation"), []),
    ("post", "/recipes/migrate", "Rewrite a legacy (v2) recipe as version 3: the new YAML, "
     "what changed and what could not be translated, at the old file's lines",
     migrate.MigrateRequest, 200, ref("Migration"), []),
    ("get", "/recipes", "List recipes", None, 200, _list("recipes", "Recipe"), []),
    ("post", "/recipes", "Create a recipe (version 1)", schemas.RecipeCreate, 201,
     ref("Recipe"), []),
    ("get", "/recipes/{recipe_id}", "A recipe with its latest version", None, 200,
     ref("Recipe"), [("recipe_id", RECIPE_ID)]),
    ("put", "/recipes/{recipe_id}", "Save a new immutable version", schemas.RecipeUpdate, 201,
     ref("Recipe"), [("recipe_id", RECIPE_ID)]),
    ("delete", "/recipes/{recipe_id}", "Delete a recipe (its builds stay)", None, 204, None,
     [("recipe_id", RECIPE_ID)]),
    ("get", "/recipes/{recipe_id}/versions", "List versions, newest first", None, 200,
     _list("versions", "Version"), [("recipe_id", RECIPE_ID)]),
    ("get", "/recipes/{recipe_id}/versions/{number}", "One version with its YAML", None, 200,
     ref("Version"), [("recipe_id", RECIPE_ID), ("number", NUMBER)]),
    ("post", "/recipes/{recipe_id}/plan", "Which steps come from cache, and why others run",
     schemas.PlanRequest, 200, ref("Plan"), [("recipe_id", RECIPE_ID)]),
    ("post", "/builds", "Start a build of a recipe, a version, or one-off YAML",
     _build_create(), 201, ref("Build"), []),
    ("get", "/builds", "List builds, newest first", None, 200, _list("builds", "Build"),
     [_param("recipe_id", "query"),
      _param("state", "query", BUILD["properties"]["state"]),
      _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIST})]),
    ("get", "/builds/{build_id}", "A build: state, timings, steps, image, error", None, 200,
     ref("Build"), ["build_id"]),
    ("post", "/builds/{build_id}/cancel", "Cancel a build", None, 202, ref("Build"),
     ["build_id"]),
    ("get", "/builds/{build_id}/logs", "The build log (raw text or NDJSON), live or archived",
     None, 200, "logs",
     ["build_id", _param("format", "query", {"enum": ["text", "json"]}),
      _param("from", "query", {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
             "first sequence number"),
      _param("follow", "query", {"enum": list(FOLLOW)}, "1: stream until the build ends")]),
    ("post", "/recipes/migrate", "Rewrite a legacy recipe as version 3 (nothing is stored)",
     MigrateRequest, 200, MIGRATION, []),
]

# Every operation may answer these, all in the Error shape: the server's own (408 for
# a body that stopped arriving, 414, 431) included.
ERROR_STATUSES = {"400": "Bad request", "401": "Not authenticated", "403": "Forbidden",
                  "404": "Not found (another team's ids too)",
                  "408": "The request did not arrive in time", "409": "Conflict",
                  "413": "Request too large", "414": "URL too long", "415": "Not JSON",
                  "422": "Invalid input", "431": "Request headers too large",
                  "500": "Internal error (nothing of the server is revealed)",
                  "503": "A service is unavailable"}


def _operation(method: str, path: str, summary: str, model: Any, status: int, schema: Any,
               params: list) -> J:
    parameters = []
    for p in params:
        if isinstance(p, str):
            parameters.append(_param(p))
        elif isinstance(p, tuple):
            parameters.append(_param(p[0], "path", p[1]))
        else:
            parameters.append(p)
    if schema is None:
        ok: J = {"description": "Done"}
    elif schema == "logs":
        ok = {"description": "Log", "content": {"text/plain": {"schema": STR},
                                                "application/x-ndjson": {"schema": STR}}}
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    links = _links(method, path)
    if links:
        ok = {**ok, "links": links}
    responses: J = {str(status): ok}
    if status == 201 and method == "put":
        responses["200"] = {**ok, "description": "Updated or unchanged"}
    if status == 200 and method == "put":
        responses["201"] = {**ok, "description": "Created"}
    for code, text in ERROR_STATUSES.items():
        responses[code] = {"description": text,
                           "content": {"application/json": {"schema": ref("Error")}}}
    op: J = {"summary": summary, "operationId": operation_id(method, path),
             "parameters": parameters, "responses": responses}
    if path == "/session" and method == "post":
        op["security"] = []
    if model is not None:
        body = model if isinstance(model, dict) else model.model_json_schema(
            ref_template="#/components/schemas/{model}")
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    return op


def operation_id(method: str, path: str) -> str:
    return f"{method}_{path}".replace("/", "_").replace("{", "").replace("}", "")


def _links(method: str, path: str) -> J:
    """OpenAPI links from this operation's response to the operations on what it made
    (the paths under its own collection whose parameters the response names)."""
    values = LINKS.get((method, path))
    if not values:
        return {}
    collection = path.split("{")[0].rstrip("/") + "/"
    links: J = {}
    for target_method, target_path, *_rest in ROUTES:
        names = re.findall(r"{(\w+)}", target_path)
        if (target_path.startswith(collection) and names and all(n in values for n in names)
                and (target_method, target_path) != (method, path)):
            links[operation_id(target_method, target_path)] = {
                "operationId": operation_id(target_method, target_path),
                "parameters": {n: values[n] for n in names}}
    return links


def document() -> J:
    paths: J = {}
    for method, path, *rest in ROUTES:
        paths.setdefault(path, {})[method] = _operation(method, path, *rest)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Recipe Builder API", "version": "1",
                 "description": "Team-scoped recipes, builds, logs and settings. Authenticate "
                                "with 'Authorization: Bearer <team API token>'."},
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Diagnostic": DIAG, "Version": VERSION,
                        "Recipe": RECIPE, "Step": STEP, "Build": BUILD, "Team": TEAM,
                        "EnvVar": ENV, "Secret": SECRET, "PlanStep": PLAN_STEP, "Plan": PLAN,
                        "Validation": VALIDATION, "Credentials": CREDENTIALS, "Token": TOKEN,
                        "Member": MEMBER,
                        "Migration": MIGRATION},
        },
    }


@bp.get("/openapi.json", endpoint="openapi_document")
def openapi_document():
    return jsonify(document())
