"""USER_SRP_AUTH that really checks the password.

Hand-written: moto answers USER_SRP_AUTH with random SALT/SRP_B and accepts any
PASSWORD_CLAIM_SIGNATURE, so a wrong password signs in. This patch keeps moto's checks (user
exists, enabled, confirmed, secret hash) and its session bookkeeping, but replaces the challenge
with a real SRP-6a one (`srp_math.py`) and refuses a signature that does not prove the password:
NotAuthorizedException "Incorrect username or password.", as Cognito answers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend

from . import srp_math
from ._guard import replace, require

require(
    "srp",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("respond_to_auth_challenge", ("self", "session", "client_id", "challenge_name", "challenge_responses")),
    ],
)

_CHALLENGES = "_twin_srp_challenges"  # secret block (base64) -> (deadline, Challenge)
_LOCK = threading.Lock()
SESSION_SECONDS = 180  # Cognito's default AuthSessionValidity (3 minutes)
WRONG = "Incorrect username or password."


def _challenges(backend: CognitoIdpBackend) -> dict[str, tuple[float, srp_math.Challenge]]:
    table: dict[str, tuple[float, srp_math.Challenge]] = backend.__dict__.setdefault(_CHALLENGES, {})
    return table


def _with_real_challenge(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        result = original(self, client_id, auth_flow, auth_parameters)
        if auth_flow != "USER_SRP_AUTH" or result.get("ChallengeName") != "PASSWORD_VERIFIER":
            return result
        username, pool = self.sessions.pop(result["Session"])
        user = pool._get_user(username)
        # No password set (admin_create_user without one): nothing can prove it.
        password = user.password if user.password is not None else os.urandom(16).hex()
        try:
            challenge = srp_math.start(
                pool.id.split("_", 1)[1], user.username, password, auth_parameters.get("SRP_A", "")
            )
        except srp_math.InvalidSrpA as exc:
            raise InvalidParameterException(str(exc)) from exc
        block = challenge.secret_block_b64
        with _LOCK:
            now = time.monotonic()
            table = _challenges(self)
            for key in [k for k, (deadline, _) in table.items() if deadline < now]:
                table.pop(key, None)
                self.sessions.pop(key, None)
            table[block] = (now + SESSION_SECONDS, challenge)
            # moto's PASSWORD_VERIFIER handler looks the session up by the secret block.
            self.sessions[block] = (username, pool)
        result["Session"] = block
        result["ChallengeParameters"] = {
            "SALT": challenge.salt_hex,
            "SRP_B": challenge.srp_b_hex,
            "USERNAME": user.username,
            "USER_ID_FOR_SRP": user.username,
            "SECRET_BLOCK": block,
        }
        return result

    return initiate_auth


def _verified_response(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def respond_to_auth_challenge(
        self: CognitoIdpBackend, session: str, client_id: str, challenge_name: str, challenge_responses: dict[str, str]
    ) -> dict[str, Any]:
        if challenge_name != "PASSWORD_VERIFIER":
            return original(self, session, client_id, challenge_name, challenge_responses)
        block = challenge_responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or ""
        with _LOCK:
            entry = _challenges(self).pop(block, None)  # one answer per challenge
        if entry is None or entry[0] < time.monotonic():
            self.sessions.pop(block, None)
            raise NotAuthorizedError("Invalid session for the user, session is expired.")
        challenge = entry[1]
        signature = challenge_responses.get("PASSWORD_CLAIM_SIGNATURE") or ""
        timestamp = challenge_responses.get("TIMESTAMP") or ""
        username = challenge_responses.get("USERNAME") or ""
        if username != challenge.user_id or not timestamp or not challenge.verify(timestamp, signature):
            self.sessions.pop(block, None)
            raise NotAuthorizedError(WRONG)
        return original(self, session, client_id, challenge_name, challenge_responses)

    return respond_to_auth_challenge


def apply() -> None:
    replace(CognitoIdpBackend, "initiate_auth", _with_real_challenge, "srp")
    replace(CognitoIdpBackend, "respond_to_auth_challenge", _verified_response, "srp")
