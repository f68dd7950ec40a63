"""Password sign-in failures worded as Cognito words them.

Hand-written: moto answers a wrong password in AdminInitiateAuth with NotAuthorizedException whose
message is the username, and ignores the app client's PreventUserExistenceErrors (an unknown user
gets UserNotFoundException even when the client hides user existence). Cognito answers both with
NotAuthorizedException "Incorrect username or password.".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError, UserNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient

from ._guard import replace, require

require(
    "sign_in_errors",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("admin_initiate_auth", ("self", "user_pool_id", "client_id", "auth_flow", "auth_parameters")),
    ],
)

WRONG = "Incorrect username or password."
PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_SRP_AUTH"}


def _hides_users(client: CognitoIdpUserPoolClient | None) -> bool:
    return client is not None and client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def _reworded(call: Callable[[], dict[str, Any]], client: CognitoIdpUserPoolClient | None,
              auth_flow: str, username: str | None) -> dict[str, Any]:
    if auth_flow not in PASSWORD_FLOWS:
        return call()
    try:
        return call()
    except NotAuthorizedError as exc:
        if username is not None and exc.message == username:
            raise NotAuthorizedError(WRONG) from None
        raise
    except UserNotFoundError:
        if _hides_users(client):
            raise NotAuthorizedError(WRONG) from None
        raise


def _initiate(original: Callable[..., Any]) -> Callable[..., Any]:
    def initiate_auth(self: CognitoIdpBackend, client_id: str, auth_flow: str,
                      auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
        client = pool.clients[client_id] if pool else None
        return _reworded(lambda: original(self, client_id, auth_flow, auth_parameters), client, auth_flow,
                         (auth_parameters or {}).get("USERNAME"))

    return initiate_auth


def _admin_initiate(original: Callable[..., Any]) -> Callable[..., Any]:
    def admin_initiate_auth(self: CognitoIdpBackend, user_pool_id: str, client_id: str, auth_flow: str,
                            auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = self.user_pools.get(user_pool_id)
        client = pool.clients.get(client_id) if pool else None
        return _reworded(lambda: original(self, user_pool_id, client_id, auth_flow, auth_parameters), client,
                         auth_flow, (auth_parameters or {}).get("USERNAME"))

    return admin_initiate_auth


def apply() -> None:
    replace(CognitoIdpBackend, "initiate_auth", _initiate, "sign_in_errors")
    replace(CognitoIdpBackend, "admin_initiate_auth", _admin_initiate, "sign_in_errors")
