"""Cognito identity pools: AllowClassicFlow is stored and returned.

Hand-written: moto 5.2.5 ignores AllowClassicFlow in CreateIdentityPool and UpdateIdentityPool and
never returns it. Cognito returns it in the Create, Describe and Update answers, and it defaults to
false. UpdateIdentityPool replaces the pool's configuration, so leaving the setting out turns the
classic flow off again. The flag lives on moto's pool object and is added to the pool's JSON, so
every answer built from `CognitoIdentityPool.to_json` carries it. The rest of cognito-identity
(roles, GetId, credentials) is `identity_pools.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from moto.cognitoidentity.models import CognitoIdentityPool
from moto.cognitoidentity.responses import CognitoIdentityResponse

from ._guard import replace, require

require(
    "identity_classic_flow",
    CognitoIdentityResponse,
    [("create_identity_pool", ("self",)), ("update_identity_pool", ("self",)), ("backend", None)],
)
require("identity_classic_flow", CognitoIdentityPool, [("to_json", ("self",))])

_FLAG = "_twin_allow_classic_flow"


def _with_flag(original: Callable[[CognitoIdentityPool], str]) -> Callable[[CognitoIdentityPool], str]:
    def to_json(self: CognitoIdentityPool) -> str:
        body = json.loads(original(self))
        body["AllowClassicFlow"] = getattr(self, _FLAG, False)
        return json.dumps(body)

    return to_json


def _storing_flag(original: Callable[[CognitoIdentityResponse], str]) -> Callable[[CognitoIdentityResponse], str]:
    def action(self: CognitoIdentityResponse) -> str:
        pool_id = json.loads(original(self))["IdentityPoolId"]
        pool = self.backend.identity_pools[pool_id]
        setattr(pool, _FLAG, bool(self._get_bool_param("AllowClassicFlow", False)))
        return pool.to_json()

    return action


def apply() -> None:
    replace(CognitoIdentityPool, "to_json", _with_flag, "identity_classic_flow")
    replace(CognitoIdentityResponse, "create_identity_pool", _storing_flag, "identity_classic_flow")
    replace(CognitoIdentityResponse, "update_identity_pool", _storing_flag, "identity_classic_flow")
