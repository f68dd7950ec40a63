"""Refresh-token rotation: the app client's RefreshTokenRotation, and GetTokensFromRefreshToken.

Hand-written: moto 5.2.5 stores any RefreshTokenRotation as a plain setting and has no
GetTokensFromRefreshToken (HTTP 500). Cognito's rules, from the API reference and the developer guide:
`RefreshTokenRotation {Feature: ENABLED | DISABLED, RetryGracePeriodSeconds 0-60}` on Create/Update/
DescribeUserPoolClient (DescribeUserPoolClient shows `{"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}`
when it was never set); GetTokensFromRefreshToken answers new ID and access tokens, and with rotation on a new
refresh token too, which expires when the old one would have; the old one stays usable for the grace period
and is then refused with RefreshTokenReuseException; with rotation on, REFRESH_TOKEN_AUTH is not available.
The refresh checks of `refresh.py` (unknown, revoked, expired, other client, disabled or deleted user) apply.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, CognitoIdpUserPoolClient
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

from . import client_secrets, refresh, tokens
from ._guard import add, replace, require
from ._sign_in import pool_and_client, wrap_sign_ins

require(
    "rotation",
    CognitoIdpBackend,
    [
        ("create_user_pool_client", ("self", "user_pool_id", "generate_secret", "extended_config")),
        ("update_user_pool_client", ("self", "user_pool_id", "client_id", "extended_config")),
    ],
)
require("rotation", CognitoIdpResponse, [("backend", None), ("_get_region_agnostic_backend", ("self",))])

SETTING = "RefreshTokenRotation"
DEFAULT = {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
FEATURES = ("ENABLED", "DISABLED")
MAX_GRACE = 60
REUSED = "Refresh token has been invalidated by refresh token rotation."  # AWS's wording: unconfirmed
NOT_WITH_ROTATION = (
    "Refresh token rotation is enabled for this client: REFRESH_TOKEN_AUTH is not available, "
    "use GetTokensFromRefreshToken"
)  # AWS's code and wording: unconfirmed
_ROTATED = "_twin_rotated"  # old refresh token -> Rotated
_LOCK = threading.Lock()


class RefreshTokenReuse(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("RefreshTokenReuseException", REUSED)


@dataclass(frozen=True)
class Rotated:
    at: float
    grace: int
    replacement: str


def rotation(client: CognitoIdpUserPoolClient) -> dict[str, Any]:
    setting = client.extended_config.get(SETTING)
    return setting if isinstance(setting, dict) else dict(DEFAULT)


def enabled(client: CognitoIdpUserPoolClient) -> bool:
    return rotation(client).get("Feature") == "ENABLED"


def normalised(setting: Any) -> dict[str, Any]:
    """A checked RefreshTokenRotation with its grace period filled in."""
    if not isinstance(setting, dict):
        raise InvalidParameterException(
            f"1 validation error detected: Value '{setting}' at 'refreshTokenRotation' failed to satisfy "
            "constraint: Member must be a structure"
        )
    feature = setting.get("Feature")
    if feature not in FEATURES:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{feature}' at 'refreshTokenRotation.feature' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(FEATURES)}]"
        )
    grace = setting.get("RetryGracePeriodSeconds", 0)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE:
        bound = (
            "less than or equal to 60" if isinstance(grace, int) and grace > MAX_GRACE else "greater than or equal to 0"
        )
        raise InvalidParameterException(
            f"1 validation error detected: Value '{grace}' at 'refreshTokenRotation.retryGracePeriodSeconds' failed "
            f"to satisfy constraint: Member must have value {bound}"
        )
    return {"Feature": feature, "RetryGracePeriodSeconds": grace}


def _checked_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> Any:
        config = dict(extended_config or {})
        config[SETTING] = normalised(config[SETTING]) if SETTING in config else dict(DEFAULT)
        return original(self, user_pool_id, generate_secret, config)

    return create_user_pool_client


def _checked_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> Any:
        config = dict(extended_config or {})
        if SETTING in config:
            config[SETTING] = normalised(config[SETTING])
        return original(self, user_pool_id, client_id, config)

    return update_user_pool_client


def _no_refresh_flow(
    call: Callable[[], dict[str, Any]],
    client: CognitoIdpUserPoolClient | None,
    auth_flow: str,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    if client is not None and auth_flow in refresh.REFRESH_FLOWS and enabled(client):
        raise InvalidParameterException(NOT_WITH_ROTATION)
    return call()


def _rotated(pool: CognitoIdpUserPool) -> dict[str, Rotated]:
    rotated: dict[str, Rotated] = pool.__dict__.setdefault(_ROTATED, {})
    return rotated


def get_tokens_from_refresh_token(
    backend: CognitoIdpBackend, refresh_token: str, client_id: str, client_secret: str | None
) -> dict[str, Any]:
    pool, client = pool_and_client(backend, client_id)
    secrets = client_secrets.active_secrets(client)
    if secrets and client_secret not in secrets:
        raise NotAuthorizedError(f"Unable to verify secret hash for client {client_id}")
    with _LOCK:
        earlier = _rotated(pool).get(refresh_token)
        if earlier is not None and time.time() > earlier.at + earlier.grace:
            pool.refresh_tokens.pop(refresh_token, None)  # rotated out for good
            raise RefreshTokenReuse()
        refresh.check(pool, client_id, refresh_token)
        access, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh_token)
        result: dict[str, Any] = {
            "AccessToken": access,
            "IdToken": id_token,
            "ExpiresIn": expires_in,
            "TokenType": "Bearer",
        }
        if not enabled(client):
            return {"AuthenticationResult": result}
        if earlier is not None:  # a retry within the grace period: the same replacement
            result["RefreshToken"] = earlier.replacement
            return {"AuthenticationResult": result}
        entry = pool.refresh_tokens[refresh_token]
        assert entry is not None  # a revoked token (None) was refused by refresh.check
        issued_to, username, origin_jti = entry
        replacement = str(uuid.uuid4())
        pool.refresh_tokens[replacement] = (issued_to, username, origin_jti)  # the same sign-in
        tokens.keep_refresh_expiry(pool, refresh_token, replacement)
        grace = int(rotation(client).get("RetryGracePeriodSeconds") or 0)
        _rotated(pool)[refresh_token] = Rotated(time.time(), grace, replacement)
        if grace == 0:
            pool.refresh_tokens.pop(refresh_token, None)
        result["RefreshToken"] = replacement
        return {"AuthenticationResult": result}


def _get_tokens_action(self: CognitoIdpResponse) -> ActionResult:
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(self._get_param("ClientId"))
    return ActionResult(
        get_tokens_from_refresh_token(
            backend, self._get_param("RefreshToken"), self._get_param("ClientId"), self._get_param("ClientSecret")
        )
    )


def apply() -> None:
    replace(CognitoIdpBackend, "create_user_pool_client", _checked_create, "rotation")
    replace(CognitoIdpBackend, "update_user_pool_client", _checked_update, "rotation")
    wrap_sign_ins(_no_refresh_flow, "rotation")
    add(CognitoIdpResponse, "get_tokens_from_refresh_token", _get_tokens_action)
