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
from moto.cognitoidp.models import CognitoIdpUserPoolClient

from ._guard import MotoMismatch
from ._sign_in import wrap_sign_ins

if not callable(getattr(idp_models, "check_secret_hash", None)):
    raise MotoMismatch("secret_hash: moto.cognitoidp.models.check_secret_hash is missing")

PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}
MOTO_CHECKED = {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}


def _checked(call: Callable[[], dict[str, Any]], client: CognitoIdpUserPoolClient | None, auth_flow: str,
             params: dict[str, str], admin: bool) -> dict[str, Any]:
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


def apply() -> None:
    wrap_sign_ins(_checked, "secret_hash")
