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
from moto.cognitoidp.models import CognitoIdpUserPoolClient

from ._sign_in import wrap_sign_ins

WRONG = "Incorrect username or password."
PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_SRP_AUTH"}


def _hides_users(client: CognitoIdpUserPoolClient | None) -> bool:
    return client is not None and client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def _reworded(call: Callable[[], dict[str, Any]], client: CognitoIdpUserPoolClient | None,
              auth_flow: str, params: dict[str, str], admin: bool) -> dict[str, Any]:
    if auth_flow not in PASSWORD_FLOWS:
        return call()
    username = params.get("USERNAME")
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


def apply() -> None:
    wrap_sign_ins(_reworded, "sign_in_errors")
