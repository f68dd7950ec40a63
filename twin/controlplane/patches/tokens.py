"""Token issuance as Cognito does it: per-pool keys, client lifetimes, AWS claims.

Hand-written: moto's `CognitoIdpUserPool.create_jwt` signs with the shared dummy key, fixes the
lifetime at 3600 s, copies only `ReadAttributes` as strings and omits `event_id` / `version`.
This replacement signs with the pool's own ID or access key (`keys.py`), takes the lifetime from the
app client (`validity.py`), renders standard attributes in the ID token the way AWS does
(`email_verified` a JSON boolean), adds `event_id` (both tokens) and `version: 2` (access token), and
puts the pool's current issuer in `iss` (`issuer.py`: ORIGINAL or UPDATED form) for every flow.
Each sign-in (one origin_jti) keeps its `auth_time` and `event_id` across refreshes, as on AWS;
`create_refresh_token` also records the refresh token's expiry for `refresh.py`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool

from . import issuer, keys, validity
from ._guard import replace, require

require(
    "tokens",
    CognitoIdpUserPool,
    [
        ("create_jwt", ("self", "client_id", "username", "token_use", "expires_in", "extra_data")),
        ("create_refresh_token", ("self", "client_id", "username")),
        ("create_id_token", ("self", "client_id", "username", "origin_jti")),
        ("create_access_token", ("self", "client_id", "username", "origin_jti")),
    ],
)

_SIGN_INS = "_twin_sign_ins"  # origin_jti -> SignIn
_REFRESH = "_twin_refresh_expiry"  # refresh token -> epoch seconds
BOOLEAN_ATTRIBUTES = {"email_verified", "phone_number_verified"}
NUMBER_ATTRIBUTES = {"updated_at"}


@dataclass(frozen=True)
class SignIn:
    auth_time: int
    event_id: str


def refresh_expiry(pool: CognitoIdpUserPool, refresh_token: str) -> float | None:
    """When this refresh token stops working (None if the twin did not issue it)."""
    return getattr(pool, _REFRESH, {}).get(refresh_token)


def keep_refresh_expiry(pool: CognitoIdpUserPool, old: str, new: str) -> None:
    """A rotated refresh token expires when the one it replaces would have (rotation.py)."""
    expiry = refresh_expiry(pool, old)
    if expiry is not None:
        pool.__dict__.setdefault(_REFRESH, {})[new] = expiry


def set_auth_time(pool: CognitoIdpUserPool, origin_jti: str, auth_time: int) -> None:
    """A hosted sign-in's tokens carry the time the user signed in on the login page, not the code exchange."""
    sign_ins: dict[str, SignIn] = pool.__dict__.setdefault(_SIGN_INS, {})
    current = sign_ins.get(origin_jti)
    sign_ins[origin_jti] = SignIn(auth_time, current.event_id if current else str(uuid.uuid4()))


def _sign_in(pool: CognitoIdpUserPool, origin_jti: str | None) -> SignIn:
    sign_ins: dict[str, SignIn] = pool.__dict__.setdefault(_SIGN_INS, {})
    if origin_jti is None:
        return SignIn(int(time.time()), str(uuid.uuid4()))
    found = sign_ins.get(origin_jti)
    if found is None:
        found = sign_ins.setdefault(origin_jti, SignIn(int(time.time()), str(uuid.uuid4())))
    return found


def _id_token_attributes(pool: CognitoIdpUserPool, client_id: str, user: Any) -> dict[str, Any]:
    client = pool.clients.get(client_id)
    readable = set(client.get_readable_fields()) if client else set()
    claims: dict[str, Any] = {}
    for attr in user.attributes:
        name, value = attr["Name"], attr["Value"]
        if name == "sub" or (readable and name not in readable and not name.startswith("custom:")):
            continue
        if name in BOOLEAN_ATTRIBUTES:
            claims[name] = str(value).lower() == "true"
        elif name in NUMBER_ATTRIBUTES and str(value).isdigit():
            claims[name] = int(value)
        else:
            claims[name] = value
    return claims


def _create_jwt(_original: Callable[..., Any]) -> Callable[..., Any]:
    def create_jwt(
        self: CognitoIdpUserPool,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int = 3600,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        user = self._get_user(username)
        client = self.clients.get(client_id)
        lifetime = validity.lifetime_seconds(client.extended_config if client else {}, token_use)
        extra = dict(extra_data or {})
        sign_in = _sign_in(self, extra.get("origin_jti"))
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user.id,
            "iss": issuer.issuer_of(self),  # ORIGINAL or UPDATED form, as the pool is configured now
            "client_id" if token_use == "access" else "aud": client_id,
            "event_id": sign_in.event_id,
            "token_use": token_use,
            "auth_time": sign_in.auth_time,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
        }
        if token_use == "access":
            claims["username"] = user.username
            claims["version"] = 2
            claims.update(extra)
        else:
            claims["cognito:username"] = user.username
            claims.update(extra)  # custom:*, cognito:groups, origin_jti as moto collected them
            claims.update(_id_token_attributes(self, client_id, user))
        return keys.sign(self, token_use, claims), lifetime

    return create_jwt


def _create_refresh_token(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_refresh_token(self: CognitoIdpUserPool, client_id: str, username: str) -> tuple[str, str]:
        refresh_token, origin_jti = original(self, client_id, username)
        client = self.clients.get(client_id)
        lifetime = validity.lifetime_seconds(client.extended_config if client else {}, "refresh")
        self.__dict__.setdefault(_REFRESH, {})[refresh_token] = time.time() + lifetime
        _sign_in(self, origin_jti)  # the sign-in starts here: fix its auth_time and event_id
        return refresh_token, origin_jti

    return create_refresh_token


def apply() -> None:
    replace(CognitoIdpUserPool, "create_jwt", _create_jwt, "tokens")
    replace(CognitoIdpUserPool, "create_refresh_token", _create_refresh_token, "tokens")
