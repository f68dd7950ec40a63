"""REFRESH_TOKEN_AUTH refused the way Cognito refuses it.

Hand-written: moto answers a refresh for a deleted user with HTTP 500, for a disabled user with new tokens,
for an unknown token from AdminInitiateAuth with HTTP 500, accepts a token issued to another client, and never
expires refresh tokens. Each case now gets NotAuthorizedException before moto runs: unknown token "Invalid
Refresh Token.", a token issued to another app client "Refresh Token has different Client", revoked "Refresh
Token has been revoked", expired (RefreshTokenValidity) "Refresh Token has expired", disabled user "User is
disabled.", deleted user "User does not exist.". Then a client with a secret gets its SECRET_HASH checked
against the user's internal username (`cognito:username`), whatever name the user signed in with; a wrong one
is "SecretHash does not match for the client: <client id>". moto checks it against the sign-in name
(InitiateAuth) or not at all (AdminInitiateAuth), so the tokens are minted here, as moto mints them, and
moto's refresh is never reached with a refresh token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

from . import secret_hash, tokens
from ._guard import replace, require

require(
    "refresh",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("admin_initiate_auth", ("self", "user_pool_id", "client_id", "auth_flow", "auth_parameters")),
    ],
)

REFRESH_FLOWS = {"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}
# Both as AWS words them: with its period (aws/aws-sdk-cpp#1789), and since January 2022 a token of
# another app client no longer gets the first one (aws/aws-sdk-js#4016).
INVALID = "Invalid Refresh Token."
OTHER_CLIENT = "Refresh Token has different Client"


def check(pool: CognitoIdpUserPool | None, client_id: str, refresh_token: str | None) -> None:
    """Raise NotAuthorizedException unless this refresh token may mint tokens for this client now."""
    if not refresh_token:
        return  # moto answers a missing parameter itself
    if pool is None or refresh_token not in pool.refresh_tokens:
        raise NotAuthorizedError(INVALID)
    entry = pool.refresh_tokens[refresh_token]
    if entry is None:
        raise NotAuthorizedError("Refresh Token has been revoked")
    issued_to, username, _ = entry
    if issued_to != client_id:
        raise NotAuthorizedError(OTHER_CLIENT)
    expiry = tokens.refresh_expiry(pool, refresh_token)
    if expiry is not None and time.time() >= expiry:
        raise NotAuthorizedError("Refresh Token has expired")
    user = pool._get_user(username)
    if user is None:
        raise NotAuthorizedError("User does not exist.")
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")


def _refreshed(pool: CognitoIdpUserPool, client_id: str, params: dict[str, str]) -> dict[str, Any]:
    refresh_token = params["REFRESH_TOKEN"]
    check(pool, client_id, refresh_token)
    client = pool.clients[client_id]
    if client.generate_secret:
        entry = pool.refresh_tokens[refresh_token]
        assert entry is not None  # a revoked token (None) was refused by check
        _, username, _ = entry  # the name signed in with (an e-mail, or the username)
        internal = pool._get_user(username).username
        if not secret_hash.matches(client, internal, params.get("SECRET_HASH") or ""):
            raise secret_hash.refresh_mismatch(client_id)
    access_token, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh_token)
    return {
        "AuthenticationResult": {
            "IdToken": id_token,
            "AccessToken": access_token,
            "ExpiresIn": expires_in,
            "TokenType": "Bearer",
        }
    }


def _pool_of_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPool | None:
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


def _guarded_initiate(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        pool = _pool_of_client(self, client_id)
        params = auth_parameters or {}
        if auth_flow in REFRESH_FLOWS and pool is not None and params.get("REFRESH_TOKEN"):
            return _refreshed(pool, client_id, params)
        return original(self, client_id, auth_flow, auth_parameters)  # moto answers a missing token itself

    return initiate_auth


def _guarded_admin_initiate(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def admin_initiate_auth(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        pool = self.user_pools.get(user_pool_id)
        params = auth_parameters or {}
        if (
            auth_flow in REFRESH_FLOWS
            and pool is not None
            and client_id in pool.clients
            and params.get("REFRESH_TOKEN")
        ):
            return _refreshed(pool, client_id, params)
        return original(self, user_pool_id, client_id, auth_flow, auth_parameters)

    return admin_initiate_auth


def apply() -> None:
    replace(CognitoIdpBackend, "initiate_auth", _guarded_initiate, "refresh")
    replace(CognitoIdpBackend, "admin_initiate_auth", _guarded_admin_initiate, "refresh")
