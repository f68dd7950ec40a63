"""The HTTP side of the hosted endpoints: parse the request, call `rules` / `state` / `issue`, render the answer.

Answers as the endpoint pages document them: errors of the token endpoint are HTTP 400 with
`application/json;charset=UTF-8` and `{"error": code}`; the authorize endpoint redirects (302) to the
client's redirect_uri with `?error=code` once client and redirect_uri are valid, and to the domain's
`/error?error=redirect_mismatch&client_id=...` page otherwise; userInfo refuses with `WWW-Authenticate`;
/oauth2/revoke answers 200 with an empty body, `invalid_client` with 401. Secrets, codes and tokens are never
logged (this module logs nothing).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient
from moto.core.exceptions import JsonRESTError
from werkzeug.wrappers import Request, Response

from ..patches import issuer, keys, revocation, tokens
from . import issue, page, rules, state
from .errors import ErrorPage, OAuthError
from .routing import HostedRoute

FORM = "application/x-www-form-urlencoded"
JSON = "application/json;charset=UTF-8"
SESSION_COOKIE = "cognito"
CSRF_COOKIE = "XSRF-TOKEN"
USERINFO_BAD_REQUEST = 'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"'
USERINFO_BAD_TOKEN = (
    'error="invalid_token", error_description="Access token is expired, disabled, or deleted, '
    'or the user has globally signed out."'
)
API_SCOPE = "aws.cognito.signin.user.admin"
# RevokeToken's refusals (patches/revocation.py) as the revocation endpoint names them.
REVOKE_ERRORS = {
    "UnsupportedOperationException": "invalid_request",
    "UnsupportedTokenTypeException": "unsupported_token_type",
    "UnauthorizedException": "unauthorized_client",
}

Handler = Callable[[Request, CognitoIdpUserPool, HostedRoute], Response]


def handle(request: Request, hosted: HostedRoute) -> Response:
    pool = state.pool_of_domain(hosted.domain)
    if pool is None:  # on AWS the name would not resolve; the twin says which domain it does not know
        return Response(
            f"twin: no user pool has the domain {hosted.domain} (CreateUserPoolDomain)\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    methods, handler = HANDLERS[hosted.endpoint]
    if request.method not in methods:
        return Response(status=405, headers={"Allow": ", ".join(methods)})
    try:
        return handler(request, pool, hosted)
    except ErrorPage as exc:
        return _redirect(f"{hosted.base_url}/error?" + urlencode({"error": exc.code, "client_id": exc.client_id}))
    except OAuthError as exc:
        return _json_error(exc)


# --- browser endpoints ---------------------------------------------------------------------------


def authorize(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    args = request.args.to_dict()
    client, auth = _authorize_request(pool, args)
    if isinstance(auth, Response):
        return auth
    current = state.session(pool, request.cookies.get(SESSION_COOKIE))
    if current is not None:  # signed in on this domain already: no login page
        return _grant(pool, client, auth, current.username, current.auth_time)
    # "it redirects to the Login endpoint with the same URL parameters that you included in your request"
    return _redirect(f"{hosted.base_url}/login?{request.query_string.decode()}")


def login(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    args = request.args.to_dict()
    client, auth = _authorize_request(pool, args)
    if isinstance(auth, Response):
        return auth
    action = f"{hosted.base_url}/login?{request.query_string.decode()}"
    name = str(client.extended_config.get("ClientName") or client.id)
    if request.method == "GET":
        return _login_form(action, name, hosted)
    form = request.form
    csrf = request.cookies.get(CSRF_COOKIE)
    if not csrf or not rules.same(csrf, form.get("_csrf", "")):
        return _login_form(
            action,
            name,
            hosted,
            "twin: the form's _csrf does not match the XSRF-TOKEN cookie; load the login page again",
            status=403,
        )
    username = form.get("username", "")
    try:
        user = rules.sign_in(pool, client, username, form.get("password", ""))
    except rules.LoginRefused as refused:
        return _login_form(action, name, hosted, str(refused), username=username)
    sid = state.new_session(pool, user.username)
    answer = _grant(pool, client, auth, user.username, int(time.time()))
    answer.set_cookie(SESSION_COOKIE, sid, path=hosted.cookie_path, httponly=True, samesite="Lax")
    return answer


def logout(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    args = request.args.to_dict()
    client_id = args.get("client_id", "")
    client = state.client_of(pool, client_id)
    if "logout_uri" in args:
        rules.redirect_target(pool, client, client_id, args["logout_uri"], registered="LogoutURLs")
        answer = _redirect(args["logout_uri"])
    elif "redirect_uri" in args:  # sign out, then the login page for the same authorize request
        _, auth = _authorize_request(pool, args)
        answer = (
            auth
            if isinstance(auth, Response)
            else _redirect(f"{hosted.base_url}/login?{request.query_string.decode()}")
        )
    else:
        raise ErrorPage("invalid_request", client_id)
    state.end_session(pool, request.cookies.get(SESSION_COOKIE))
    answer.delete_cookie(SESSION_COOKIE, path=hosted.cookie_path)
    return answer


def error(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    return Response(page.error_page(), status=400, content_type="text/html; charset=utf-8")


def _authorize_request(
    pool: CognitoIdpUserPool, args: Mapping[str, str]
) -> tuple[CognitoIdpUserPoolClient, rules.AuthorizeRequest | Response]:
    """(client, the checked request), or (client, the error redirect to its redirect_uri)."""
    client_id = args.get("client_id", "")
    client = rules.redirect_target(pool, state.client_of(pool, client_id), client_id, args.get("redirect_uri"))
    try:
        return client, rules.check_authorize(pool, client, args)
    except OAuthError as exc:
        extra = {"state": args["state"]} if "state" in args else {}
        return client, _redirect(_with_query(args["redirect_uri"], {"error": exc.code, **extra}))


def _grant(
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    auth: rules.AuthorizeRequest,
    username: str,
    auth_time: int,
) -> Response:
    extra: dict[str, str] = {"state": auth.state} if auth.state is not None else {}
    if auth.response_type == "code":
        code = state.new_code(
            pool,
            state.Code(
                client.id,
                username,
                auth.redirect_uri,
                auth.scopes,
                auth.code_challenge,
                auth.nonce,
                auth_time,
                time.time() + state.CODE_LIFETIME_S,
            ),
        )
        return _redirect(_with_query(auth.redirect_uri, {"code": code, **extra}))
    issued = issue.user_tokens(
        pool, client, username, auth.scopes, auth_time=auth_time, nonce=auth.nonce, with_refresh=False
    )
    fragment = {k: str(issued[k]) for k in ("id_token", "access_token", "token_type", "expires_in") if k in issued}
    return _redirect(f"{auth.redirect_uri}#{urlencode(fragment | extra)}")


def _login_form(
    action: str, name: str, hosted: HostedRoute, message: str | None = None, *, username: str = "", status: int = 200
) -> Response:
    csrf = secrets.token_urlsafe(24)
    answer = Response(
        page.login_page(action, csrf, name, message, username),
        status=status,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
    answer.set_cookie(CSRF_COOKIE, csrf, path=hosted.cookie_path, httponly=True, samesite="Lax")
    return answer


# --- direct endpoints ----------------------------------------------------------------------------


def token(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    form = _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request")
    if grant_type not in GRANTS:
        raise OAuthError("unsupported_grant_type")
    client, _ = rules.authenticate_client(pool, form, request.headers.get("Authorization"))
    return _json(GRANTS[grant_type](pool, client, form))


def _code_grant(pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: Mapping[str, str]) -> dict[str, Any]:
    if "code" not in rules.allowed_flows(client):
        raise OAuthError("unauthorized_client")
    if not form.get("code") or not form.get("redirect_uri"):
        raise OAuthError("invalid_request")
    code = state.take_code(pool, form["code"])  # gone from here on: a code is used once, whatever follows
    if code is None or code.client_id != client.id or code.redirect_uri != form["redirect_uri"]:
        raise OAuthError("invalid_grant")
    if code.code_challenge is not None and not rules.pkce_matches(code.code_challenge, form.get("code_verifier")):
        raise OAuthError("invalid_grant")
    user = pool._get_user(code.username)
    if user is None or not user.enabled:
        raise OAuthError("invalid_grant")
    return issue.user_tokens(pool, client, code.username, code.scopes, auth_time=code.auth_time, nonce=code.nonce)


def _refresh_grant(
    pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: Mapping[str, str]
) -> dict[str, Any]:
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        raise OAuthError("invalid_request")
    flows = client.extended_config.get("ExplicitAuthFlows") or []
    if flows and not {"ALLOW_REFRESH_TOKEN_AUTH", "REFRESH_TOKEN_AUTH"} & set(flows):
        raise OAuthError("unauthorized_client")
    entry = pool.refresh_tokens.get(refresh_token)  # None: revoked or signed out
    expiry = tokens.refresh_expiry(pool, refresh_token)
    if entry is None or entry[0] != client.id or (expiry is not None and expiry < time.time()):
        raise OAuthError("invalid_grant")
    _, username, origin_jti = entry
    user = pool._get_user(username)
    if user is None or not user.enabled:
        raise OAuthError("invalid_grant")
    scopes = state.grant_scopes(pool, origin_jti)
    if scopes is None:  # a refresh token of the user pools API: its tokens, as REFRESH_TOKEN_AUTH gives them
        access, id_token, lifetime = pool.create_tokens_from_refresh_token(refresh_token)
        return {"id_token": id_token, "access_token": access, "token_type": "Bearer", "expires_in": lifetime}
    return issue.user_tokens(pool, client, username, scopes, auth_time=0, origin_jti=origin_jti)


def _client_credentials(
    pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: Mapping[str, str]
) -> dict[str, Any]:
    if not rules.oauth_enabled(client):  # AllowedOAuthFlowsUserPoolClient off: captured as invalid_grant
        raise OAuthError("invalid_grant")
    if "client_credentials" not in rules.allowed_flows(client) or not client.generate_secret:
        raise OAuthError("unauthorized_client")
    return issue.machine_token(pool, client, rules.machine_scopes(pool, client, form.get("scope")))


GRANTS: dict[str, Callable[[CognitoIdpUserPool, CognitoIdpUserPoolClient, Mapping[str, str]], dict[str, Any]]] = {
    "authorization_code": _code_grant,
    "refresh_token": _refresh_grant,
    "client_credentials": _client_credentials,
}


def userinfo(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        return _userinfo_refusal(400, USERINFO_BAD_REQUEST, "invalid_request")
    access_token = header[7:].strip()
    try:
        claims = keys.verify(pool, access_token, options={"verify_aud": False})
    except jwt.InvalidTokenError:
        return _userinfo_refusal(401, USERINFO_BAD_TOKEN, "invalid_token")
    user = pool._get_user(str(claims.get("username", "")))
    if (
        claims.get("iss") != issuer.issuer_of(pool)
        or claims.get("token_use") != "access"
        or rules.OPENID not in str(claims.get("scope", "")).split()
        or user is None
        or not user.enabled
        or revocation.is_revoked(pool.backend, access_token)
    ):
        return _userinfo_refusal(401, USERINFO_BAD_TOKEN, "invalid_token")
    client = pool.clients.get(str(claims.get("client_id", "")))
    readable = set(client.get_readable_fields()) if client else set()
    answer: dict[str, Any] = {"sub": user.id}
    for attr in user.attributes:  # values stay strings: Cognito answers "email_verified": "true"
        if attr["Name"] != "sub" and (not readable or attr["Name"] in readable or attr["Name"].startswith("custom:")):
            answer[attr["Name"]] = attr["Value"]
    answer["username"] = user.username
    return _json(answer)


def revoke(request: Request, pool: CognitoIdpUserPool, hosted: HostedRoute) -> Response:
    form = _form(request)
    if not form.get("token"):
        raise OAuthError("invalid_request")
    client, secret = rules.authenticate_client(pool, form, request.headers.get("Authorization"), invalid_status=401)
    try:
        revocation.revoke_token(pool.backend, form["token"], client.id, secret)
    except JsonRESTError as exc:
        raise OAuthError(REVOKE_ERRORS.get(exc.error_type, "invalid_request")) from None
    return Response(b"", status=200)


# --- rendering -----------------------------------------------------------------------------------


def _form(request: Request) -> dict[str, str]:
    if request.mimetype != FORM:  # "Must always be 'application/x-www-form-urlencoded'"
        raise OAuthError("invalid_request")
    return request.form.to_dict()


def _json(body: dict[str, Any]) -> Response:
    return Response(
        json.dumps(body), status=200, content_type=JSON, headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


def _json_error(exc: OAuthError) -> Response:
    body: dict[str, str] = {"error": exc.code}
    if exc.description:
        body["error_description"] = exc.description
    return Response(json.dumps(body), status=exc.status, content_type=JSON)


def _userinfo_refusal(status: int, www_authenticate: str, code: str) -> Response:
    return Response(
        json.dumps({"error": code}), status=status, content_type=JSON, headers={"WWW-Authenticate": www_authenticate}
    )


def _redirect(location: str) -> Response:
    return Response(b"", status=302, headers={"Location": location})


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


HANDLERS: dict[str, tuple[tuple[str, ...], Handler]] = {
    "/oauth2/authorize": (("GET",), authorize),
    "/login": (("GET", "POST"), login),
    "/logout": (("GET",), logout),
    "/error": (("GET",), error),
    "/oauth2/token": (("POST",), token),
    "/oauth2/userInfo": (("GET", "POST"), userinfo),
    "/oauth2/revoke": (("POST",), revoke),
}
