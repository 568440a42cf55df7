"""The Docker registry token endpoint, as a Flask blueprint (``GET``/``POST /v2/token``).

Implements registry-token-auth.md §3 and §6: Basic credentials (or none: anonymous),
``service`` must be ours, requested scopes are intersected with the principal's grant,
and a token is always issued.  We never hand out ``refresh_token``, so Docker keeps
sending the password on ``GET``; the ``POST`` form answers containerd's
``grant_type=password`` request and refuses other grants with 400 (containerd then falls
back to ``GET``).  Tokens are never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, jsonify, request

from registry.credentials import Authenticator
from registry.keys import SigningKey, ensure_signing_key
from registry.settings import RegistrySettings
from registry.tokens import ANONYMOUS, Principal, Scope, ScopeError, grant, mint_token, parse_scopes

log = logging.getLogger(__name__)
EXTENSION = "registry_tokens"


@dataclass(frozen=True)
class TokenIssuer:
    """Everything the endpoint needs, kept in ``app.extensions["registry_tokens"]``."""

    key: SigningKey
    authenticator: Authenticator
    service: str
    issuer: str
    ttl_s: int
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def issue(self, principal: Principal, scopes: list[Scope]) -> dict:
        """The JSON body of a successful token response."""
        access = grant(principal, scopes)
        minted = mint_token(
            self.key,
            issuer=self.issuer,
            service=self.service,
            subject=principal.subject,
            access=access,
            ttl_s=self.ttl_s,
            now=self.clock(),
        )
        log.info(
            "registry token for %r: %s",
            principal.subject or "<anonymous>",
            " ".join(f"{a['name']}:{','.join(a['actions']) or '-'}" for a in access) or "-",
        )
        return {
            "token": minted.token,
            "access_token": minted.token,
            "expires_in": minted.expires_in,
            "issued_at": minted.issued_at,
        }


bp = Blueprint("registry_tokens", __name__)


def _issuer() -> TokenIssuer:
    return current_app.extensions[EXTENSION]


def _error(status: int, message: str, code: str = "UNAUTHORIZED"):
    # ``details`` reaches the Docker user as ``unauthorized: <details>``.
    body = {"details": message, "errors": [{"code": code, "message": message}]}
    return jsonify(body), status


@bp.get("/v2/token")
def get_token():
    """Issue a token for Basic credentials (or anonymously) and the requested scopes."""
    issuer = _issuer()
    if request.args.get("service", issuer.service) != issuer.service:
        return _error(400, "unknown service", "UNSUPPORTED")
    auth = request.authorization
    principal = ANONYMOUS
    if auth is not None:
        if auth.type != "basic":
            return _error(401, "only Basic credentials are accepted")
        principal = issuer.authenticator.verify(auth.username or "", auth.password or "")
        if principal is None:
            return _error(401, "invalid username or password")
        account = request.args.get("account")
        if account and account != principal.subject:
            return _error(401, "account does not match the credentials")
    try:
        scopes = parse_scopes(request.args.getlist("scope"))
    except ScopeError as exc:
        return _error(400, str(exc), "UNSUPPORTED")
    return jsonify(issuer.issue(principal, scopes))


@bp.post("/v2/token")
def post_token():
    """The OAuth2 ``grant_type=password`` form containerd sends; other grants get 400."""
    issuer = _issuer()
    form = request.form
    if form.get("service", issuer.service) != issuer.service:
        return _error(400, "unknown service", "UNSUPPORTED")
    if form.get("grant_type") != "password":
        # We never issue refresh tokens; 400 makes containerd fall back to GET.
        return _error(400, "unsupported grant_type", "UNSUPPORTED")
    principal = issuer.authenticator.verify(form.get("username", ""), form.get("password", ""))
    if principal is None:
        return _error(401, "invalid username or password")
    try:
        scopes = parse_scopes(form.getlist("scope"))
    except ScopeError as exc:
        return _error(400, str(exc), "UNSUPPORTED")
    body = issuer.issue(principal, scopes)
    body["scope"] = " ".join(str(s) for s in scopes)
    return jsonify(body)


def make_issuer(settings: RegistrySettings, authenticator: Authenticator) -> TokenIssuer:
    """Build the issuer from settings, creating the signing key when absent."""
    return TokenIssuer(
        key=ensure_signing_key(settings.state_dir),
        authenticator=authenticator,
        service=settings.service,
        issuer=settings.issuer,
        ttl_s=settings.token_ttl_s,
    )


def init_app(app: Flask, settings: RegistrySettings, authenticator: Authenticator) -> None:
    """Serve ``/v2/token`` from ``app``.

    Args:
        app: the Flask application (from ``create_app``).
        settings: gives the service, issuer, token lifetime and state directory.
        authenticator: checks Basic credentials, e.g. ``ChainedAuthenticator(
            SystemCredential(...), RobotCredentials(...))``.
    """
    app.extensions[EXTENSION] = make_issuer(settings, authenticator)
    app.register_blueprint(bp)
