"""Password sign-in failures worded as Cognito words them.

Hand-written: moto answers a wrong password in AdminInitiateAuth with NotAuthorizedException whose
message is the username, and ignores the app client's PreventUserExistenceErrors (an unknown user
gets UserNotFoundException even when the client hides user existence). Cognito answers both with
NotAuthorizedException "Incorrect username or password.".

moto also lets the admin flows sign in a user who never confirmed the sign-up, checks USER_PASSWORD_AUTH's
password before the confirmation, and signs in a user whose password AdminResetUserPassword reset (tokens,
or NEW_PASSWORD_REQUIRED on the admin API). Cognito names both states before it looks at the password, on
every password flow: UserNotConfirmedException "User is not confirmed." and PasswordResetRequiredException
"Password reset required for the user" (the reset invalidates the password, so any password gets it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError, UserNotConfirmedException, UserNotFoundError
from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient, UserStatus, cognitoidp_backends
from moto.core.exceptions import JsonRESTError

from ._sign_in import wrap_sign_ins

WRONG = "Incorrect username or password."
NOT_CONFIRMED = "User is not confirmed."
RESET_REQUIRED = "Password reset required for the user"
PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_SRP_AUTH"}


def _hides_users(client: CognitoIdpUserPoolClient | None) -> bool:
    return client is not None and client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def _pool_of(client: CognitoIdpUserPoolClient) -> CognitoIdpUserPool | None:
    region = client.user_pool_id.split("_", 1)[0]
    for account_backends in list(cognitoidp_backends.values()):
        backend = dict(account_backends).get(region)
        if backend is not None and client.user_pool_id in backend.user_pools:
            return backend.user_pools[client.user_pool_id]
    return None


def _refuse_by_status(client: CognitoIdpUserPoolClient | None, username: str | None) -> None:
    """The states Cognito names before the password; a disabled user is left to moto ("User is disabled.")."""
    if client is None or not username:
        return
    pool = _pool_of(client)
    user = pool._get_user(username) if pool is not None else None
    if user is None or not user.enabled:
        return
    if user.status is UserStatus.UNCONFIRMED:
        raise UserNotConfirmedException(NOT_CONFIRMED)
    if user.status is UserStatus.RESET_REQUIRED:
        raise JsonRESTError("PasswordResetRequiredException", RESET_REQUIRED)


def _reworded(
    call: Callable[[], dict[str, Any]],
    client: CognitoIdpUserPoolClient | None,
    auth_flow: str,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    if auth_flow not in PASSWORD_FLOWS:
        return call()
    username = params.get("USERNAME")
    _refuse_by_status(client, username)
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
