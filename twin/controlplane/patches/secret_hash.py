"""SECRET_HASH on every sign-in of an app client that has a secret, with Cognito's message.

moto 5.2.5 checks SECRET_HASH only for USER_SRP_AUTH and refresh, and answers a missing or wrong one with
NotAuthorizedException whose message is the hash itself. Cognito requires it on the password flows too
(USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and its old name ADMIN_NO_SRP_AUTH) and answers every case
with "Unable to verify secret hash for client <client id>". The hash is checked with
`moto.cognitoidp.models.check_secret_hash` as it is at call time, so the client_secrets patch's rotation
(any active secret) applies here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cognitoidp import models as idp_models
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient

from ._guard import MotoMismatch, replace, require

require(
    "secret_hash",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("admin_initiate_auth", ("self", "user_pool_id", "client_id", "auth_flow", "auth_parameters")),
    ],
)
if not callable(getattr(idp_models, "check_secret_hash", None)):
    raise MotoMismatch("secret_hash: moto.cognitoidp.models.check_secret_hash is missing")

PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}
MOTO_CHECKED = {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}


def _checked(call: Callable[[], dict[str, Any]], client: CognitoIdpUserPoolClient | None, auth_flow: str,
             params: dict[str, str]) -> dict[str, Any]:
    if client is None or not client.generate_secret:
        return call()
    refused = NotAuthorizedError(f"Unable to verify secret hash for client {client.id}")
    given = params.get("SECRET_HASH")
    if auth_flow in PASSWORD_FLOWS and not (
        given and idp_models.check_secret_hash(client.secret, client.id, params.get("USERNAME", ""), given)
    ):
        raise refused
    try:
        return call()
    except NotAuthorizedError as exc:
        if auth_flow in MOTO_CHECKED and exc.message == (given or ""):
            raise refused from None  # moto's message is the hash that was sent
        raise


def _initiate(original: Callable[..., Any]) -> Callable[..., Any]:
    def initiate_auth(self: CognitoIdpBackend, client_id: str, auth_flow: str,
                      auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
        client = pool.clients[client_id] if pool else None
        return _checked(lambda: original(self, client_id, auth_flow, auth_parameters), client, auth_flow,
                        auth_parameters or {})

    return initiate_auth


def _admin_initiate(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_initiate_auth(self: CognitoIdpBackend, user_pool_id: str, client_id: str, auth_flow: str,
                            auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = self.user_pools.get(user_pool_id)
        client = pool.clients.get(client_id) if pool else None
        return _checked(lambda: original(self, user_pool_id, client_id, auth_flow, auth_parameters), client,
                        auth_flow, auth_parameters or {})

    return admin_initiate_auth


def apply() -> None:
    replace(CognitoIdpBackend, "initiate_auth", _initiate, "secret_hash")
    replace(CognitoIdpBackend, "admin_initiate_auth", _admin_initiate, "secret_hash")
