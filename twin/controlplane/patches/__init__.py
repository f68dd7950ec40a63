"""The gap layer: small patches of moto 5.2.5, each checked against the pinned moto at import.

`apply_all` imports and installs them once per process (imported lazily so that a moto mismatch
surfaces as one MotoMismatch at start). Order matters where patches wrap the same method: the last
one applied runs first, so for InitiateAuth the client's ExplicitAuthFlows are checked, then USER_AUTH is
turned into the password or SRP sign-in below it, then the SECRET_HASH of a client with a secret, then the
refresh token (and a refresh's SECRET_HASH, which needs the token's user), then the SRP challenge, then moto itself.
"""

from __future__ import annotations

import importlib

PATCHES = (
    "tokens",
    "issuer",
    "validity",
    "srp",
    "refresh",
    "sign_in_errors",
    "secret_hash",
    "rotation",
    "user_auth",
    "auth_flows",
    "identity_pools",
    "lambda_permissions",
    "apigw_authorizers",
    "apigw_jwt_issuer",
    "apigw_routes",
    "apigw_quick_create",
    "apigw_default_route",
    "identity_classic_flow",
    "client_secrets",
    "log_retention",
    "revocation",
    "user_pool_domain",
)


def apply_all() -> None:
    for name in PATCHES:
        importlib.import_module(f"{__name__}.{name}").apply()
