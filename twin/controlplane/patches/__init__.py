"""The gap layer: small patches of moto 5.2.5, each checked against the pinned moto at import.

`apply_all` installs them once per process. Order matters where patches wrap the same method:
the last one applied runs first, so for InitiateAuth the client's ExplicitAuthFlows are checked,
then the refresh token, then the SRP challenge, then moto itself.
"""

from __future__ import annotations

from . import (
    apigw_authorizers,
    auth_flows,
    identity_pools,
    lambda_permissions,
    refresh,
    srp,
    tokens,
    validity,
)

PATCHES = (tokens, validity, srp, refresh, auth_flows, identity_pools, lambda_permissions, apigw_authorizers)


def apply_all() -> None:
    for patch in PATCHES:
        patch.apply()
