"""API Gateway v2 CreateAuthorizer: a JWT authorizer's Cognito issuer must have a discovery document.

Hand-written: moto 5.2.5 stores any issuer. AWS fetches `<issuer>/.well-known/openid-configuration`
during CreateAuthorizer and refuses the call with HTTP 400 BadRequestException when no document comes
back (captured: haandol/cognito-kakao-example#1 for a cognito-idp issuer, aws-solutions-library-samples/
guidance-for-claude-code-with-amazon-bedrock #115 and PR #140 for a hosted UI domain given as issuer).
The twin has no network for other issuers, so only the two Cognito forms are checked, against the
documents this control plane serves (`../oidc.py`): the pool must exist in the region its issuer names
and, under issuer-cognito-idp, be on UPDATED. A terminating `/` is removed before the well-known path
is appended, as OpenID Connect Discovery 1.0 section 4 says. UpdateAuthorizer is left unchecked: no
capture shows AWS checking it, and the fault catalogue's issuer faults go through it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.core.common_types import TYPE_RESPONSE

from .. import oidc
from ._guard import replace, require

require("apigw_jwt_issuer", ApiGatewayV2Response, [("create_authorizer", ("self",))])

COGNITO_ISSUER = re.compile(
    r"^https://(?P<host>cognito-idp|issuer-cognito-idp)\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[^/]+)/?$"
)
WELL_KNOWN = "/.well-known/openid-configuration"


def has_discovery(issuer: str) -> bool:
    """False only for a Cognito issuer whose discovery document the control plane does not serve."""
    match = COGNITO_ISSUER.match(issuer)
    if match is None:
        return True
    if not match["pool"].startswith(f"{match['region']}_"):  # a regional endpoint knows its own pools only
        return False
    prefix = oidc.UPDATED_PREFIX if match["host"] == "issuer-cognito-idp" else ""
    found = oidc.document(f"{prefix}/{match['pool']}{WELL_KNOWN}", "127.0.0.1")
    return found is not None and found[0] == 200


def refusal(issuer: str) -> str:
    """AWS's message, as the captures quote it."""
    endpoint = issuer.removesuffix("/") + WELL_KNOWN
    return (
        f"Caught exception when connecting to {endpoint} for issuer {issuer}. Please try again later. "
        f"Error: Invalid issuer: {issuer}. Issuer must have a valid discovery endpoint ended with '{WELL_KNOWN}'"
    )


def _checking(original: Callable[..., TYPE_RESPONSE]) -> Callable[..., TYPE_RESPONSE]:
    def create_authorizer(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
        params: dict[str, Any] = json.loads(self.body or "{}")
        issuer = (params.get("jwtConfiguration") or {}).get("issuer")
        if params.get("authorizerType") == "JWT" and isinstance(issuer, str) and not has_discovery(issuer):
            raise BadRequestException(refusal(issuer))
        return original(self)

    return create_authorizer


def apply() -> None:
    replace(ApiGatewayV2Response, "create_authorizer", _checking, "apigw_jwt_issuer")
