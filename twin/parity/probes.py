"""The fixed, small, harmless set of probes: the answers the harness's verdicts depend on.

Each probe sends one or two requests and returns the normalised answer (`twin.parity.normalise`).
Harmless means: GET and OPTIONS only on the API (the one POST is refused by the gateway for its
size before any route, authorizer or function sees it), no token ever accepted on a write route,
one short-lived test user of the prober's own (`fixtures.users`, deleted at the end, its run swept
and leased like a suite run), one wrong password (Cognito locks a user out after five), no call that
changes the pool, its clients or the API. Probes that a deployment's configuration cannot answer
(no GET route, no scoped route, a public client) are skipped with the reason.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jwt
import requests
from botocore.exceptions import ClientError

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.forge import ForgedCase, build_cases
from fixtures.oidc import TIMEOUT, discovery_base, jwks
from fixtures.routes import parse_route_key
from fixtures.signin import Tokens, sign_in
from fixtures.users import EMAIL_DOMAIN, CognitoUsers, TestUser
from twin.parity.normalise import Placeholders

DISALLOWED_ORIGIN = "https://parity-probe.invalid"  # reserved TLD: no deployment can list it
UNKNOWN_PATH = "/parity-probe-no-such-route"
MAX_BODY_BYTES = 10 * 1024 * 1024  # the HTTP API payload quota; the probe sends one byte more
HEADER_BYTES = 11 * 1024  # over the HTTP API's 10,240-byte header quota
WRONG_SECRET = "parity-probe-wrong-client-secret"
# Probe -> (the forged token of fixtures.forge it sends, what it asks): one per refusal the authorizer may word
# differently.
FORGED = {
    "api.two_segments": ("two_segments", "the user's ID token without its signature segment"),
    "api.alg_none": ("alg_none", "the user's ID token re-signed with alg none"),
    "api.attacker_key": ("rs256_attacker_key_real_kid", "the user's claims signed by another key under the pool's kid"),
    "api.unknown_kid": ("rs256_unknown_kid", "the user's claims signed under a kid the pool does not have"),
    "api.payload_tampered": ("payload_tampered", "the user's ID token with its claims changed after signing"),
}
FORGED_CASES = frozenset(case for case, _ in FORGED.values())
CONNECTION = {"headers.connection": "transport: depends on the client's connection reuse"}
# The sign-in flow a client's allowed flow makes possible (for the "flow not enabled" probe).
FLOW_OF_ALLOWED = {
    "ALLOW_USER_PASSWORD_AUTH": "user_password",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH": "admin",
    "ALLOW_USER_SRP_AUTH": "srp",
}


class Skip(Exception):
    """The deployment's configuration gives this probe nothing to ask; the message says why."""


@dataclass
class Context:
    """What the probes share: the env, an HTTP client, Cognito, and the prober's test user (made on first use)."""

    config: EnvConfig
    idp: Any
    users: CognitoUsers
    api: ApiClient = field(init=False)
    _user: TestUser | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.api = ApiClient(self.config.api.base_url)

    @property
    def user(self) -> TestUser:
        if self._user is None:
            self._user = self.users.create("parity")
        return self._user

    @cached_property
    def tokens(self) -> Tokens:
        return self.user.tokens()

    @cached_property
    def key_set(self) -> dict[str, Any]:
        return jwks(self.config)

    @cached_property
    def forged(self) -> dict[str, ForgedCase]:
        t = self.tokens
        return {case.name: case for case in build_cases(t.id_token, t.access_token, t.refresh_token, self.key_set)}

    @property
    def placeholders(self) -> Placeholders:
        extra = {}
        if self._user is not None:  # the user's own values, once a probe has made the user
            extra = {"username": self._user.username, "email": self._user.email, "sub": self._user.sub}
        return Placeholders.of(self.config, **extra)

    @cached_property
    def protected_path(self) -> str:
        """The path of the first protected GET (or ANY) route whose path values are known."""
        for route in self.config.api.protected_routes:
            if route.split(" ")[0] in {"GET", "ANY"}:
                try:
                    return parse_route_key(route).request(self.config.api.path_values)[1]
                except KeyError:
                    continue
        raise Skip("no protected GET route with known path values ([api] protected_routes, path_values)")

    @property
    def allowed_origin(self) -> str:
        origins = [o for o in self.config.api.allowed_origins if "*" not in o]
        if not origins:
            raise Skip("[api] allowed_origins names no exact origin")
        return origins[0]


@dataclass(frozen=True)
class Probe:
    name: str
    what: str
    run: Callable[[Context], tuple[str, Any]]  # -> (the request, for readers; the normalised answer)
    exclude: dict[str, str] = field(default_factory=dict)


def http_answer(ctx: Context, response: requests.Response, *, headers: bool = True) -> dict[str, Any]:
    answer: dict[str, Any] = {"status": response.status_code}
    if headers:
        answer["headers"] = ctx.placeholders.headers(response.headers)
    text = response.text
    try:
        body: Any = json.loads(text) if text.strip().startswith(("{", "[")) else text
    except json.JSONDecodeError:
        body = text
    answer["body"] = ctx.placeholders.value(body)
    return answer


def _get(
    path: str, *, authorization: str | None = None, origin: str | None = None, headers: dict[str, str] | None = None
) -> Callable[[Context], tuple[str, Any]]:
    """A GET of `path` ("protected" or "unknown") with the given Authorization and Origin (names of Context
    attributes or literal values)."""

    def run(ctx: Context) -> tuple[str, Any]:
        where = ctx.protected_path if path == "protected" else UNKNOWN_PATH
        sent = dict(headers or {})
        if authorization:
            forged = ctx.forged[authorization] if authorization in FORGED_CASES else None
            sent["Authorization"] = forged.authorization if forged else authorization
        origin_value = ctx.allowed_origin if origin == "allowed" else origin
        response = ctx.api.request("GET", where, headers=sent, origin=origin_value)
        request = f"GET {'{protected_path}' if path == 'protected' else where}"
        if authorization:
            request += f" with Authorization {authorization if authorization in FORGED_CASES else 'literal'}"
        if origin:
            request += f" from the {origin} origin" if origin == "allowed" else f" from {origin}"
        return request, http_answer(ctx, response)

    return run


def _accepted(kind: str, scheme: str = "Bearer ") -> Callable[[Context], tuple[str, Any]]:
    """The user's real token, with `scheme` before it: accepted (the status only: headers and body past the
    authorizer are the function's, not the gateway's) or the authorizer's refusal, whole."""

    def run(ctx: Context) -> tuple[str, Any]:
        token = ctx.tokens.id_token if kind == "id" else ctx.tokens.access_token
        response = ctx.api.request("GET", ctx.protected_path, headers={"Authorization": f"{scheme}{token}"})
        answer = {"status": response.status_code} if response.ok else http_answer(ctx, response)
        return f"GET {{protected_path}} with Authorization {scheme!r} + the user's {kind} token", answer

    return run


def _scope_missing(ctx: Context) -> tuple[str, Any]:
    for route in ctx.config.api.scoped_routes:
        method = route.split(" ")[0]
        if method not in {"GET", "ANY"}:
            continue
        try:
            path = parse_route_key(route).request(ctx.config.api.path_values)[1]
        except KeyError:
            continue
        response = ctx.api.request("GET", path, token=ctx.tokens.access_token, origin=ctx.allowed_origin)
        return "GET {scoped_path} with an access token that lacks the route's scope", http_answer(ctx, response)
    raise Skip("no scoped GET route with known path values ([api] scoped_routes)")


def _body_too_large(ctx: Context) -> tuple[str, Any]:
    response = ctx.api.session.post(
        ctx.api.url(ctx.protected_path),
        data=b"x" * (MAX_BODY_BYTES + 1),
        headers={"Origin": ctx.allowed_origin, "Content-Type": "text/plain"},
        timeout=(5, 60),
    )
    return "POST {protected_path} with a 10 MiB + 1 byte body, no token", http_answer(ctx, response)


def _preflight(
    origin: str, method: str | None, request_headers: str | None = None
) -> Callable[[Context], tuple[str, Any]]:
    def run(ctx: Context) -> tuple[str, Any]:
        sent: dict[str, str] = {}
        if method:
            sent["Access-Control-Request-Method"] = _unlisted_method(ctx) if method == "unlisted" else method
        if request_headers:
            sent["Access-Control-Request-Headers"] = request_headers
        origin_value = {"allowed": ctx.allowed_origin, "none": None}.get(origin, origin)
        response = ctx.api.request("OPTIONS", ctx.protected_path, headers=sent, origin=origin_value)
        parts = [
            "OPTIONS {protected_path}",
            f"Origin {origin}" if origin != "none" else "no Origin",
            f"Access-Control-Request-Method {method} ({sent['Access-Control-Request-Method']})"
            if method
            else "no Access-Control-Request-Method",
        ]
        return ", ".join(parts), http_answer(ctx, response)

    return run


def _unlisted_method(ctx: Context) -> str:
    allowed = {m.upper() for m in ctx.config.api.allowed_methods}
    if "*" in allowed:
        raise Skip("[api] allowed_methods is *: every method is listed")
    for method in ("DELETE", "PATCH", "PUT"):
        if method not in allowed:
            return method
    raise Skip("[api] allowed_methods lists DELETE, PATCH and PUT")


def _cognito_error(ctx: Context, call: Callable[[], Any]) -> dict[str, Any]:
    try:
        result = call()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return {
            "code": error.get("Code"),
            "message": ctx.placeholders.text(str(error.get("Message", ""))),
            "status": exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
        }
    return {"code": None, "result": type(result).__name__}


def _flow(ctx: Context) -> str:
    return ctx.users.default_flow


def _secret(ctx: Context) -> str:
    secret = ctx.users.app_clients.secret(ctx.config.cognito.client_id)
    if not secret:
        raise Skip("the app client has no secret (a public client)")
    return secret


def _wrong_password(ctx: Context) -> tuple[str, Any]:
    user, client = ctx.user, ctx.config.cognito.client_id
    secret = ctx.users.app_clients.secret(client)
    answer = _cognito_error(
        ctx,
        lambda: sign_in(
            ctx.idp, ctx.users.pool_id, client, user.username, "Parity-probe-wrong-1", _flow(ctx), client_secret=secret
        ),
    )
    return f"sign-in ({_flow(ctx)}) of the prober's user with a wrong password", answer


def _unknown_user(ctx: Context) -> tuple[str, Any]:
    client = ctx.config.cognito.client_id
    secret = ctx.users.app_clients.secret(client)
    name = f"e2e-{ctx.users.run_id}-nobody-{secrets.token_hex(3)}@{EMAIL_DOMAIN}"
    answer = _cognito_error(
        ctx,
        lambda: sign_in(
            ctx.idp, ctx.users.pool_id, client, name, "Parity-probe-wrong-1", _flow(ctx), client_secret=secret
        ),
    )
    return f"sign-in ({_flow(ctx)}) of a user that does not exist", answer


def _secret_hash(wrong: bool) -> Callable[[Context], tuple[str, Any]]:
    def run(ctx: Context) -> tuple[str, Any]:
        _secret(ctx)
        user, client = ctx.user, ctx.config.cognito.client_id
        answer = _cognito_error(
            ctx,
            lambda: sign_in(
                ctx.idp,
                ctx.users.pool_id,
                client,
                user.username,
                user._password,
                _flow(ctx),
                client_secret=WRONG_SECRET if wrong else None,
            ),
        )
        what = "a SECRET_HASH made with a wrong secret" if wrong else "no SECRET_HASH"
        return f"sign-in ({_flow(ctx)}) of the prober's user with {what}", answer

    return run


def _flow_not_enabled(ctx: Context) -> tuple[str, Any]:
    allowed = set(ctx.config.cognito.allowed_auth_flows)
    flow = next((f for name, f in FLOW_OF_ALLOWED.items() if name not in allowed), None)
    if flow is None:
        raise Skip("[cognito] allowed_auth_flows allows every password flow")
    user, client = ctx.user, ctx.config.cognito.client_id
    secret = ctx.users.app_clients.secret(client)
    answer = _cognito_error(
        ctx,
        lambda: sign_in(ctx.idp, ctx.users.pool_id, client, user.username, user._password, flow, client_secret=secret),
    )
    return f"sign-in by {flow}, a flow the app client does not allow", answer


def _bad_refresh_token(ctx: Context) -> tuple[str, Any]:
    client = ctx.config.cognito.client_id
    answer = _cognito_error(
        ctx,
        lambda: ctx.idp.initiate_auth(
            ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": "parity-probe-not-a-token"}
        ),
    )
    return "REFRESH_TOKEN_AUTH with a string that is no refresh token, no SECRET_HASH", answer


def _token(kind: str) -> Callable[[Context], tuple[str, Any]]:
    def run(ctx: Context) -> tuple[str, Any]:
        token = ctx.tokens.id_token if kind == "id" else ctx.tokens.access_token
        answer = {
            "header": ctx.placeholders.value(jwt.get_unverified_header(token)),
            "claims": ctx.placeholders.value(jwt.decode(token, options={"verify_signature": False})),
        }
        return f"the {kind} token of a sign-in ({_flow(ctx)})", answer

    return run


def _discovery(ctx: Context) -> tuple[str, Any]:
    response = requests.get(f"{discovery_base(ctx.config)}/.well-known/openid-configuration", timeout=TIMEOUT)
    return "GET {issuer}/.well-known/openid-configuration", http_answer(ctx, response, headers=False)


def _jwks(ctx: Context) -> tuple[str, Any]:
    return "GET the discovery document's jwks_uri", {"body": ctx.placeholders.value(ctx.key_set)}


PROBES: tuple[Probe, ...] = (
    Probe("api.no_token", "a protected route without Authorization", _get("protected"), CONNECTION),
    Probe(
        "api.no_token.allowed_origin",
        "the same from an allowed origin (CORS on the authorizer's 401)",
        _get("protected", origin="allowed"),
        CONNECTION,
    ),
    Probe(
        "api.no_token.disallowed_origin",
        "the same from an origin the API does not allow",
        _get("protected", origin=DISALLOWED_ORIGIN),
        CONNECTION,
    ),
    Probe(
        "api.garbage_token",
        "Authorization: Bearer with a string that is no JWT",
        _get("protected", authorization="Bearer not-a-token"),
        CONNECTION,
    ),
    *(Probe(name, what, _get("protected", authorization=case), CONNECTION) for name, (case, what) in FORGED.items()),
    Probe("api.id_token", "the user's ID token on a protected route", _accepted("id")),
    Probe("api.access_token", "the user's access token on a protected route", _accepted("access")),
    Probe(
        "api.bearer_lowercase",
        "the user's ID token after 'bearer ' in lower case",
        _accepted("id", "bearer "),
        CONNECTION,
    ),
    Probe("api.no_scheme", "the user's ID token alone, no 'Bearer ' before it", _accepted("id", ""), CONNECTION),
    Probe("api.scope_missing", "an access token without the scope a scoped route requires", _scope_missing, CONNECTION),
    Probe("api.unknown_route", "a path no route matches", _get("unknown"), CONNECTION),
    Probe("api.body_too_large", "a body one byte over the 10 MiB payload quota", _body_too_large, CONNECTION),
    Probe(
        "api.headers_too_large",
        "request headers over the 10,240-byte quota",
        _get("protected", headers={"X-Parity-Padding": "x" * HEADER_BYTES}),
        CONNECTION,
    ),
    Probe(
        "cors.preflight.allowed",
        "a preflight from an allowed origin for GET with authorization",
        _preflight("allowed", "GET", "authorization"),
        CONNECTION,
    ),
    Probe(
        "cors.preflight.disallowed_origin",
        "a preflight from an origin the API does not allow",
        _preflight(DISALLOWED_ORIGIN, "GET"),
        CONNECTION,
    ),
    Probe(
        "cors.preflight.unlisted_method",
        "a preflight for a method the API does not list",
        _preflight("allowed", "unlisted"),
        CONNECTION,
    ),
    Probe(
        "cors.preflight.no_request_method",
        "an OPTIONS with an allowed Origin, no Access-Control-Request-Method",
        _preflight("allowed", None),
        CONNECTION,
    ),
    Probe(
        "cors.preflight.bare",
        "an OPTIONS with neither Origin nor Access-Control-Request-Method",
        _preflight("none", None),
        CONNECTION,
    ),
    Probe("cognito.wrong_password", "a sign-in with a wrong password", _wrong_password),
    Probe("cognito.unknown_user", "a sign-in of a user that does not exist", _unknown_user),
    Probe("cognito.missing_secret_hash", "a confidential client's sign-in without SECRET_HASH", _secret_hash(False)),
    Probe("cognito.wrong_secret_hash", "a confidential client's sign-in with a wrong SECRET_HASH", _secret_hash(True)),
    Probe("cognito.flow_not_enabled", "a sign-in by a flow the app client does not allow", _flow_not_enabled),
    Probe("cognito.bad_refresh_token", "REFRESH_TOKEN_AUTH with a string that is no refresh token", _bad_refresh_token),
    Probe("tokens.id", "the header and claims of an ID token", _token("id")),
    Probe("tokens.access", "the header and claims of an access token", _token("access")),
    Probe("oidc.discovery", "the pool's OIDC discovery document", _discovery),
    Probe("oidc.jwks", "the pool's JSON Web Key Set", _jwks),
)
