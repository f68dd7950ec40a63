"""REFRESH_TOKEN_AUTH refused the way Cognito refuses it.

Hand-written: moto answers a refresh for a deleted user with HTTP 500, for a disabled user with new
tokens, for an unknown token from AdminInitiateAuth with HTTP 500, accepts a token issued to another
client, and never expires refresh tokens. Each case now gets NotAuthorizedException before moto runs:
unknown or foreign token "Invalid Refresh Token", revoked "Refresh Token has been revoked", expired
(RefreshTokenValidity) "Refresh Token has expired", disabled user "User is disabled.", deleted user
"User does not exist.".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

from . import tokens
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


def check(pool: CognitoIdpUserPool | None, client_id: str, refresh_token: str | None) -> None:
    """Raise NotAuthorizedException unless this refresh token may mint tokens for this client now."""
    if not refresh_token:
        return  # moto answers a missing parameter itself
    if pool is None or refresh_token not in pool.refresh_tokens:
        raise NotAuthorizedError("Invalid Refresh Token")
    entry = pool.refresh_tokens[refresh_token]
    if entry is None:
        raise NotAuthorizedError("Refresh Token has been revoked")
    issued_to, username, _ = entry
    if issued_to != client_id:
        raise NotAuthorizedError("Invalid Refresh Token")
    expiry = tokens.refresh_expiry(pool, refresh_token)
    if expiry is not None and time.time() >= expiry:
        raise NotAuthorizedError("Refresh Token has expired")
    user = pool._get_user(username)
    if user is None:
        raise NotAuthorizedError("User does not exist.")
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")


def _pool_of_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPool | None:
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


def _guarded_initiate(original: Callable[..., Any]) -> Callable[..., Any]:
    def initiate_auth(self: CognitoIdpBackend, client_id: str, auth_flow: str,
                      auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = _pool_of_client(self, client_id)
        if auth_flow in REFRESH_FLOWS and pool is not None:
            check(pool, client_id, (auth_parameters or {}).get("REFRESH_TOKEN"))
        return original(self, client_id, auth_flow, auth_parameters)

    return initiate_auth


def _guarded_admin_initiate(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_initiate_auth(self: CognitoIdpBackend, user_pool_id: str, client_id: str, auth_flow: str,
                            auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = self.user_pools.get(user_pool_id)
        if auth_flow in REFRESH_FLOWS and pool is not None and client_id in pool.clients:
            check(pool, client_id, (auth_parameters or {}).get("REFRESH_TOKEN"))
        return original(self, user_pool_id, client_id, auth_flow, auth_parameters)

    return admin_initiate_auth


def apply() -> None:
    replace(CognitoIdpBackend, "initiate_auth", _guarded_initiate, "refresh")
    replace(CognitoIdpBackend, "admin_initiate_auth", _guarded_admin_initiate, "refresh")
