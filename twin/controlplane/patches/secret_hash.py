"""SECRET_HASH on every sign-in of an app client that has a secret, with Cognito's messages.

moto 5.2.5 checks SECRET_HASH only for USER_SRP_AUTH, InitiateAuth's refresh and the MFA answers, and answers a
missing or wrong one with NotAuthorizedException whose message is the hash itself (empty when none was sent).
Cognito requires it on the password flows too (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and its old name
ADMIN_NO_SRP_AUTH) and words three refusals: no hash at all "Client <client id> is configured with secret but
SECRET_HASH was not received", a wrong one on a password or SRP sign-in (or an MFA answer) "Unable to verify secret
hash for client <client id>", a wrong one on a refresh "SecretHash does not match for the client: <client id>"
(`refresh.py` checks that one, with the user's internal username). moto never checks the PASSWORD_VERIFIER and
NEW_PASSWORD_REQUIRED answers; Cognito requires the hash in every challenge answer, made with the user's internal
username (a hash of the e-mail signed in with is refused as unverified). The hash is checked with
`moto.cognitoidp.models.check_secret_hash` as it is at call time, so the client_secrets patch's rotation (any
active secret) applies here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cognitoidp import models as idp_models
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient

from ._guard import MotoMismatch, replace, require
from ._sign_in import find_client, pool_and_client, wrap_sign_ins

if not callable(getattr(idp_models, "check_secret_hash", None)):
    raise MotoMismatch("secret_hash: moto.cognitoidp.models.check_secret_hash is missing")
require(
    "secret_hash",
    CognitoIdpBackend,
    [("respond_to_auth_challenge", ("self", "session", "client_id", "challenge_name", "challenge_responses"))],
)

PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}
HASHED_FLOWS = PASSWORD_FLOWS | {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}
MOTO_CHECKED_CHALLENGES = {"SOFTWARE_TOKEN_MFA", "SMS_MFA"}
# Answers moto takes without a hash; their hash is of the internal username, whatever name USERNAME carries.
UNCHECKED_CHALLENGES = {"PASSWORD_VERIFIER", "NEW_PASSWORD_REQUIRED"}


def not_received(client_id: str) -> NotAuthorizedError:
    return NotAuthorizedError(f"Client {client_id} is configured with secret but SECRET_HASH was not received")


def unverified(client_id: str) -> NotAuthorizedError:
    return NotAuthorizedError(f"Unable to verify secret hash for client {client_id}")


def refresh_mismatch(client_id: str) -> NotAuthorizedError:
    return NotAuthorizedError(f"SecretHash does not match for the client: {client_id}")


def matches(client: CognitoIdpUserPoolClient, username: str, given: str) -> bool:
    # Looked up at call time, where the client_secrets patch replaces it; models imports it from .utils and does
    # not re-export it, so it is read from the module's namespace.
    check: Callable[[str, str, str, str | None], bool] = vars(idp_models)["check_secret_hash"]
    return check(client.secret, client.id, username, given)


def require_hash(client: CognitoIdpUserPoolClient, params: dict[str, str]) -> None:
    """A sign-in's two checks: a hash was sent, and it is the one of USERNAME."""
    given = params.get("SECRET_HASH")
    if not given:
        raise not_received(client.id)
    if not matches(client, params.get("USERNAME") or "", given):
        raise unverified(client.id)


def _checked(
    call: Callable[[], dict[str, Any]],
    client: CognitoIdpUserPoolClient | None,
    auth_flow: str,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    if client is None or not client.generate_secret or auth_flow not in HASHED_FLOWS:
        return call()
    if auth_flow in PASSWORD_FLOWS:
        require_hash(client, params)
    elif not params.get("SECRET_HASH"):
        raise not_received(client.id)
    if auth_flow == "USER_SRP_AUTH":
        return _reworded(call, client, params["SECRET_HASH"])
    return call()


def _reworded(call: Callable[[], dict[str, Any]], client: CognitoIdpUserPoolClient, given: str) -> dict[str, Any]:
    """moto's own refusal of a wrong hash, whose message is the hash that was sent, in Cognito's words."""
    try:
        return call()
    except NotAuthorizedError as exc:
        if exc.message == given:
            raise unverified(client.id) from None
        raise


def _checked_answer(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def respond_to_auth_challenge(
        self: CognitoIdpBackend, session: str, client_id: str, challenge_name: str, challenge_responses: dict[str, str]
    ) -> dict[str, Any]:
        client = find_client(self, client_id)
        checked = MOTO_CHECKED_CHALLENGES | UNCHECKED_CHALLENGES
        if challenge_name not in checked or client is None or not client.generate_secret:
            return original(self, session, client_id, challenge_name, challenge_responses)
        given = (challenge_responses or {}).get("SECRET_HASH")
        if not given:
            raise not_received(client.id)
        if challenge_name in UNCHECKED_CHALLENGES:
            named = challenge_responses.get("USERNAME") or ""
            user = pool_and_client(self, client_id)[0]._get_user(named) if named else None
            if not matches(client, user.username if user is not None else named, given):
                raise unverified(client.id)
            return original(self, session, client_id, challenge_name, challenge_responses)
        return _reworded(lambda: original(self, session, client_id, challenge_name, challenge_responses), client, given)

    return respond_to_auth_challenge


def apply() -> None:
    wrap_sign_ins(_checked, "secret_hash")
    # AdminRespondToAuthChallenge is moto's respond_to_auth_challenge underneath, so this covers both APIs.
    replace(CognitoIdpBackend, "respond_to_auth_challenge", _checked_answer, "secret_hash")
