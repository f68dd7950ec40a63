"""User pool issuer configuration: `IssuerConfiguration {Type: ORIGINAL | UPDATED}` and the issuer it names.

Hand-written: moto 5.2.5 predates the setting. It stores any IssuerConfiguration it is given, answers
any value, omits it from DescribeUserPool when none was given and always signs
`iss = https://cognito-idp.<region>.amazonaws.com/<pool>`. Here CreateUserPool and UpdateUserPool
check the value (an unknown Type gets InvalidParameterException in Cognito's "1 validation error
detected" form), a pool without the setting has the default `{"Type": "ORIGINAL"}`, DescribeUserPool
always returns it, and `issuer_of(pool)` gives the issuer every token of the pool carries:

- ORIGINAL: `https://cognito-idp.<region>.amazonaws.com/<pool>`
- UPDATED:  `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>` (region = the pool's primary region)

UpdateUserPool sets what it is not given back to the defaults (moto already does this for every
other setting, as the API reference warns), so an update without IssuerConfiguration returns the
pool to ORIGINAL. Why, and what is unconfirmed: twin/controlplane/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

from ._guard import replace, require

require(
    "issuer",
    CognitoIdpBackend,
    [
        ("create_user_pool", ("self", "name", "extended_config")),
        ("update_user_pool", ("self", "user_pool_id", "extended_config")),
    ],
)

ORIGINAL = "ORIGINAL"
UPDATED = "UPDATED"
TYPES = (ORIGINAL, UPDATED)  # the botocore model's order of IssuerType
DEFAULT = ORIGINAL
SETTING = "IssuerConfiguration"


def original_issuer(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def updated_issuer(region: str, pool_id: str) -> str:
    return f"https://issuer-cognito-idp.{region}.amazonaws.com/{pool_id}"


def issuer_type(pool: CognitoIdpUserPool) -> str:
    """The pool's current issuer type (ORIGINAL when it was never set)."""
    setting = pool.extended_config.get(SETTING) or {}
    kind = setting.get("Type") if isinstance(setting, dict) else None
    return kind if kind in TYPES else DEFAULT


def issuer_of(pool: CognitoIdpUserPool) -> str:
    """The `iss` of the pool's tokens and the `issuer` of its discovery document, for its current type."""
    build = updated_issuer if issuer_type(pool) == UPDATED else original_issuer
    return build(pool.region, pool.id)


def normalised(extended_config: dict[str, Any] | None) -> dict[str, Any]:
    """The settings with a checked IssuerConfiguration (the default when absent or without a Type)."""
    config = dict(extended_config or {})
    setting = config.get(SETTING)
    if setting is None:
        config[SETTING] = {"Type": DEFAULT}
        return config
    if not isinstance(setting, dict):
        raise InvalidParameterException(
            f"1 validation error detected: Value '{setting}' at 'issuerConfiguration' failed to satisfy "
            "constraint: Member must be a structure"
        )
    kind = setting.get("Type")
    if kind is None:
        config[SETTING] = {"Type": DEFAULT}
        return config
    if kind not in TYPES:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{kind}' at 'issuerConfiguration.type' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(TYPES)}]"
        )
    config[SETTING] = {"Type": kind}
    return config


def _checked_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_user_pool(self: CognitoIdpBackend, name: str, extended_config: dict[str, Any]) -> Any:
        return original(self, name, normalised(extended_config))

    return create_user_pool


def _checked_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_user_pool(self: CognitoIdpBackend, user_pool_id: str, extended_config: dict[str, Any]) -> Any:
        # Input is checked before the pool is looked up, as AWS validates a request before acting on it.
        return original(self, user_pool_id, normalised(extended_config))

    return update_user_pool


def apply() -> None:
    replace(CognitoIdpBackend, "create_user_pool", _checked_create, "issuer")
    replace(CognitoIdpBackend, "update_user_pool", _checked_update, "issuer")
