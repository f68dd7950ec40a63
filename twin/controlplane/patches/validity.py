"""App client token lifetimes: AccessTokenValidity / IdTokenValidity / RefreshTokenValidity.

Hand-written: moto stores these settings but signs every token for 3600 s and accepts any value.
Cognito reads each validity in its TokenValidityUnits unit (defaults: hours, hours, days), falls back
to 60 min / 60 min / 30 days when unset, and refuses values outside 5 min..1 day (access, ID) or
60 min..3650 days (refresh) with InvalidParameterException "Invalid range for token validity.".
This module computes lifetimes for `tokens.py` and validates create/update_user_pool_client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend
from moto.core.exceptions import JsonRESTError

from ._guard import replace, require

require(
    "validity",
    CognitoIdpBackend,
    [
        ("create_user_pool_client", ("self", "user_pool_id", "generate_secret", "extended_config")),
        ("update_user_pool_client", ("self", "user_pool_id", "client_id", "extended_config")),
    ],
)

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# setting name -> (TokenValidityUnits key, default unit, default value in that unit, min s, max s)
SETTINGS = {
    "access": ("AccessTokenValidity", "AccessToken", "hours", 1, 300, 86400),
    "id": ("IdTokenValidity", "IdToken", "hours", 1, 300, 86400),
    "refresh": ("RefreshTokenValidity", "RefreshToken", "days", 30, 3600, 3650 * 86400),
}


def lifetime_seconds(client_config: Mapping[str, Any], token_use: str) -> int:
    """Lifetime of an `access`, `id` or `refresh` token issued to a client with this config."""
    name, unit_key, default_unit, default_value, _, _ = SETTINGS[token_use]
    value = client_config.get(name)
    if value is None:
        return default_value * UNIT_SECONDS[default_unit]
    unit = (client_config.get("TokenValidityUnits") or {}).get(unit_key) or default_unit
    return int(value) * UNIT_SECONDS[unit]


def validate(client_config: Mapping[str, Any]) -> None:
    """Raise as Cognito does for an unknown unit or a validity outside the allowed range."""
    units = client_config.get("TokenValidityUnits") or {}
    for key, unit in units.items():
        if unit not in UNIT_SECONDS:
            field = key[0].lower() + key[1:]
            raise JsonRESTError(
                "ValidationException",
                f"1 validation error detected: Value '{unit}' at 'tokenValidityUnits.{field}' failed to "
                "satisfy constraint: Member must satisfy enum value set: [seconds, minutes, hours, days]",
            )
    seconds = {use: lifetime_seconds(client_config, use) for use in SETTINGS}
    for use, (_, _, _, _, low, high) in SETTINGS.items():
        if not low <= seconds[use] <= high:
            raise InvalidParameterException("Invalid range for token validity.")
    if max(seconds["access"], seconds["id"]) > seconds["refresh"]:
        raise InvalidParameterException("Invalid range for token validity.")


def _checked_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> Any:
        validate(extended_config or {})
        return original(self, user_pool_id, generate_secret, extended_config)

    return create_user_pool_client


def _checked_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_user_pool_client(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> Any:
        client = self.describe_user_pool_client(user_pool_id, client_id)
        # moto merges an update into the stored settings, so validate the merged result.
        validate({**client.extended_config, **(extended_config or {})})
        return original(self, user_pool_id, client_id, extended_config)

    return update_user_pool_client


def apply() -> None:
    replace(CognitoIdpBackend, "create_user_pool_client", _checked_create, "validity")
    replace(CognitoIdpBackend, "update_user_pool_client", _checked_update, "validity")
