"""Token revocation: RevokeToken, and GetUser / GlobalSignOut refusing revoked access tokens.

Hand-written: moto 5.2.5 has no RevokeToken (HTTP 500). Its GlobalSignOut / AdminUserGlobalSignOut forget
the user's access tokens, so GetUser then answers "Invalid token" (and GlobalSignOut an error whose message
is the token itself). Cognito answers a revoked access token with NotAuthorizedException "Access Token has
been revoked". RevokeToken revokes a refresh token and every access token minted from it (same
`origin_jti`, rotated replacements included), needs the client's EnableTokenRevocation (on unless turned off)
and its ClientSecret when it has one. Revocation is Cognito's own bookkeeping: the tokens' signatures stay
valid, so a JWT verifier such as the HTTP API authorizer accepts them until `exp` (as on AWS).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import jwt
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import EmptyResult

from . import client_secrets
from ._guard import add, replace, require
from ._sign_in import pool_and_client

require(
    "revocation",
    CognitoIdpBackend,
    [("get_user", ("self", "access_token")), ("global_sign_out", ("self", "access_token"))],
)
require("revocation", CognitoIdpUserPool, [("sign_out", ("self", "username"))])
require("revocation", CognitoIdpResponse, [("_get_region_agnostic_backend", ("self",))])

REVOKED = "Access Token has been revoked"
_TOKENS = "_twin_revoked_access_tokens"  # access tokens revoked by a sign-out
_ORIGINS = "_twin_revoked_origins"  # origin_jti of refresh tokens revoked by RevokeToken
_LOCK = threading.Lock()


class _Error(JsonRESTError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def _origin(access_token: str) -> str | None:
    try:
        return jwt.decode(access_token, options={"verify_signature": False}).get("origin_jti")
    except jwt.InvalidTokenError:
        return None


def is_revoked(backend: CognitoIdpBackend, access_token: str) -> bool:
    origin = None
    for pool in backend.user_pools.values():
        if access_token in pool.__dict__.get(_TOKENS, ()):
            return True
        revoked_origins = pool.__dict__.get(_ORIGINS)
        if revoked_origins:
            origin = origin or _origin(access_token)
            if origin in revoked_origins:
                return True
    return False


def _recording_sign_out(original: Callable[..., Any]) -> Callable[..., Any]:
    def sign_out(self: CognitoIdpUserPool, username: str) -> None:
        mine = {token for token, (_, user) in self.access_tokens.items() if user == username}
        with _LOCK:
            self.__dict__.setdefault(_TOKENS, set()).update(mine)
        original(self, username)

    return sign_out


def _checked_get_user(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_user(self: CognitoIdpBackend, access_token: str) -> Any:
        if is_revoked(self, access_token):
            raise NotAuthorizedError(REVOKED)
        return original(self, access_token)

    return get_user


def _checked_global_sign_out(original: Callable[..., Any]) -> Callable[..., Any]:
    def global_sign_out(self: CognitoIdpBackend, access_token: str) -> None:
        if is_revoked(self, access_token):
            raise NotAuthorizedError(REVOKED)
        try:
            original(self, access_token)
        except NotAuthorizedError as exc:
            if exc.message == access_token:  # moto's message is the token itself
                raise NotAuthorizedError("Invalid Access Token") from None
            raise

    return global_sign_out


def revoke_token(backend: CognitoIdpBackend, token: str, client_id: str, client_secret: str | None) -> None:
    pool, client = pool_and_client(backend, client_id)
    secrets = client_secrets.active_secrets(client)
    if secrets and client_secret not in secrets:
        raise _Error("UnauthorizedException", f"Unable to verify secret hash for client {client_id}")
    if client.extended_config.get("EnableTokenRevocation") is False:
        raise _Error("UnsupportedOperationException", "Token revocation is not enabled for this client.")
    if token.count(".") == 2:  # a JWT (ID or access token); Cognito revokes refresh tokens only
        raise _Error("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")
    with _LOCK:
        entry = pool.refresh_tokens.get(token)
        if entry is None:
            return  # unknown or already revoked: nothing to do (RFC 7009's answer)
        issued_to, _, origin_jti = entry
        if issued_to != client_id:
            raise _Error("UnauthorizedException", "Token was not issued to this client.")
        for other, value in list(pool.refresh_tokens.items()):
            if value is not None and value[2] == origin_jti:  # the refresh token and its rotated successors
                pool.refresh_tokens[other] = None
        pool.__dict__.setdefault(_ORIGINS, set()).add(origin_jti)


def _revoke_token_action(self: CognitoIdpResponse) -> EmptyResult:
    client_id = self._get_param("ClientId")
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    revoke_token(backend, self._get_param("Token") or "", client_id, self._get_param("ClientSecret"))
    return EmptyResult()


def apply() -> None:
    replace(CognitoIdpUserPool, "sign_out", _recording_sign_out, "revocation")
    replace(CognitoIdpBackend, "get_user", _checked_get_user, "revocation")
    replace(CognitoIdpBackend, "global_sign_out", _checked_global_sign_out, "revocation")
    add(CognitoIdpResponse, "revoke_token", _revoke_token_action)
