"""Choice-based sign-in: AuthFlow USER_AUTH with PREFERRED_CHALLENGE, or SELECT_CHALLENGE then an answer.

Hand-written: moto 5.2.5 has no USER_AUTH (it answers "1 validation error detected: Value 'USER_AUTH' at
'authFlow'..."). Cognito's API reference gives the shapes: InitiateAuth / AdminInitiateAuth with
`AuthParameters {USERNAME, PREFERRED_CHALLENGE?, PASSWORD | SRP_A, SECRET_HASH?}`; without a preferred
challenge the answer is `ChallengeName: SELECT_CHALLENGE`, a Session and `AvailableChallenges`, answered by
RespondToAuthChallenge / AdminRespondToAuthChallenge `SELECT_CHALLENGE` with `{USERNAME, ANSWER, PASSWORD |
SRP_A}`. Here the password first factors run the twin's own password and SRP sign-ins underneath (so wrong
passwords, disabled users, NEW_PASSWORD_REQUIRED, SECRET_HASH and PreventUserExistenceErrors answer exactly as
they do there); only the client's ALLOW_USER_AUTH is required (auth_flows.py checks it). EMAIL_OTP, SMS_OTP and
WEB_AUTHN are refused: the twin delivers no codes and holds no passkeys.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.exceptions import (
    InvalidParameterException,
    NotAuthorizedError,
    UserNotFoundError,
)
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, CognitoIdpUserPoolClient

from . import secret_hash
from ._guard import replace, require
from ._sign_in import pool_and_client

require(
    "user_auth",
    CognitoIdpBackend,
    [
        ("initiate_auth", ("self", "client_id", "auth_flow", "auth_parameters")),
        ("admin_initiate_auth", ("self", "user_pool_id", "client_id", "auth_flow", "auth_parameters")),
        ("respond_to_auth_challenge", ("self", "session", "client_id", "challenge_name", "challenge_responses")),
        ("admin_respond_to_auth_challenge", ("self", "session", "client_id", "challenge_name", "challenge_responses")),
    ],
)

FLOW = "USER_AUTH"
SELECT = "SELECT_CHALLENGE"
# What a user with a password can choose; the twin offers nothing else (order unconfirmed).
AVAILABLE = ["PASSWORD", "PASSWORD_SRP"]
NOT_EMULATED = {"EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"}
SESSION_SECONDS = 180  # Cognito's default AuthSessionValidity (3 minutes)
EXPIRED = "Invalid session for the user, session is expired."
WRONG = "Incorrect username or password."

_SESSIONS = "_twin_user_auth_sessions"  # session -> Pending
_LOCK = threading.Lock()
_INNER: dict[str, Callable[..., dict[str, Any]]] = {}  # the sign-ins below this patch (no ExplicitAuthFlows check)


@dataclass(frozen=True)
class Pending:
    """A SELECT_CHALLENGE waiting for its answer."""

    deadline: float
    pool_id: str
    client_id: str
    username: str
    admin: bool


def _refuse_unknown_factor(name: str, where: str) -> None:
    if name in NOT_EMULATED:
        raise InvalidParameterException(
            f"{name} is not available: the twin emulates only the PASSWORD and PASSWORD_SRP first factors "
            "(no email or SMS delivery, no passkeys)"
        )
    raise InvalidParameterException(
        f"1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: Member must "
        "satisfy enum value set: [PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP, WEB_AUTHN]"
    )


def _first_factor(
    backend: CognitoIdpBackend,
    pool: CognitoIdpUserPool,
    client_id: str,
    factor: str,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    """Run PASSWORD or PASSWORD_SRP with the twin's own sign-in below this patch."""
    inner = {k: v for k, v in params.items() if k in ("USERNAME", "PASSWORD", "SRP_A", "SECRET_HASH")}
    if factor == "PASSWORD":
        if admin:
            return _INNER["admin"](backend, pool.id, client_id, "ADMIN_USER_PASSWORD_AUTH", inner)
        return _INNER["user"](backend, client_id, "USER_PASSWORD_AUTH", inner)
    if factor == "PASSWORD_SRP":
        # The SRP exchange is the user API's (its PASSWORD_VERIFIER also answers through the admin API).
        return _INNER["user"](backend, client_id, "USER_SRP_AUTH", inner)
    _refuse_unknown_factor(factor, "authParameters.PREFERRED_CHALLENGE")
    raise AssertionError("unreachable")


def _select_challenge(
    backend: CognitoIdpBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    username = params.get("USERNAME") or ""
    if client.generate_secret:
        secret_hash.require_hash(client, params)
    hides_users = client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"
    if pool._get_user(username) is None and not hides_users:
        raise UserNotFoundError("User does not exist.")
    session = base64.b64encode(os.urandom(96)).decode()
    with _LOCK:
        table: dict[str, Pending] = backend.__dict__.setdefault(_SESSIONS, {})
        now = time.monotonic()
        for key in [k for k, p in table.items() if p.deadline < now]:
            table.pop(key, None)
        table[session] = Pending(now + SESSION_SECONDS, pool.id, client.id, username, admin)
    return {
        "ChallengeName": SELECT,
        "Session": session,
        "ChallengeParameters": {},
        "AvailableChallenges": list(AVAILABLE),
    }


def _start(
    backend: CognitoIdpBackend, client_id: str, pool_id: str | None, params: dict[str, str], admin: bool
) -> dict[str, Any]:
    pool, client = pool_and_client(backend, client_id, pool_id)
    preferred = params.get("PREFERRED_CHALLENGE")
    if not preferred:
        return _select_challenge(backend, pool, client, params, admin)
    return _first_factor(backend, pool, client_id, preferred, params, admin)


def _answer(
    backend: CognitoIdpBackend, session: str, client_id: str, responses: dict[str, str], admin: bool
) -> dict[str, Any]:
    with _LOCK:
        pending = backend.__dict__.setdefault(_SESSIONS, {}).pop(session or "", None)  # one answer per session
    if (
        pending is None
        or pending.deadline < time.monotonic()
        or pending.client_id != client_id
        or pending.admin != admin
    ):  # answered through the API that asked
        raise NotAuthorizedError(EXPIRED)
    if (responses.get("USERNAME") or "") != pending.username:
        raise NotAuthorizedError(WRONG)
    answer = responses.get("ANSWER") or ""
    if answer not in AVAILABLE:
        _refuse_unknown_factor(answer, "challengeResponses.ANSWER")
    pool = backend.describe_user_pool(pending.pool_id)
    return _first_factor(backend, pool, client_id, answer, responses, admin)


def _initiate(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    _INNER["user"] = original

    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        if auth_flow != FLOW:
            return original(self, client_id, auth_flow, auth_parameters)
        return _start(self, client_id, None, auth_parameters or {}, admin=False)

    return initiate_auth


def _admin_initiate(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    _INNER["admin"] = original

    def admin_initiate_auth(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        if auth_flow != FLOW:
            return original(self, user_pool_id, client_id, auth_flow, auth_parameters)
        return _start(self, client_id, user_pool_id, auth_parameters or {}, admin=True)

    return admin_initiate_auth


def _respond(admin: bool) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    def make(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def respond(
            self: CognitoIdpBackend,
            session: str,
            client_id: str,
            challenge_name: str,
            challenge_responses: dict[str, str],
        ) -> dict[str, Any]:
            if challenge_name != SELECT:
                return original(self, session, client_id, challenge_name, challenge_responses)
            return _answer(self, session, client_id, challenge_responses or {}, admin)

        respond.__name__ = "admin_respond_to_auth_challenge" if admin else "respond_to_auth_challenge"
        return respond

    return make


def apply() -> None:
    replace(CognitoIdpBackend, "initiate_auth", _initiate, "user_auth")
    replace(CognitoIdpBackend, "admin_initiate_auth", _admin_initiate, "user_auth")
    replace(CognitoIdpBackend, "respond_to_auth_challenge", _respond(admin=False), "user_auth")
    replace(CognitoIdpBackend, "admin_respond_to_auth_challenge", _respond(admin=True), "user_auth")
