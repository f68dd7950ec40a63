"""API Gateway v2 GetAuthorizers (the list call), which moto 5.2.5 answers with HTTP 500.

Hand-written: moto keeps the authorizers of each API in `Api.authorizers` and serves them one at a
time (`get_authorizer`); the list is the same JSON objects under "items", as AWS returns them.
Pagination (MaxResults/NextToken) is not needed for the handful of authorizers an API may hold
(AWS allows 10), so the whole list comes back in one page.
"""

from __future__ import annotations

import json

from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.core.common_types import TYPE_RESPONSE

from ._guard import add, require

require("apigw_authorizers", ApiGatewayV2Response, [("get_authorizer", ("self",)), ("apigatewayv2_backend", None)])


def get_authorizers(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api_id = self.path.split("/")[-2]
    api = self.apigatewayv2_backend.get_api(api_id)
    return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})


def apply() -> None:
    add(ApiGatewayV2Response, "get_authorizers", get_authorizers)
