"""API Gateway v2 quick create: CreateApi with `Target` also makes the integration, route and stage.

Hand-written: moto 5.2.5 reads neither Target, RouteKey nor CredentialsArn from CreateApi, so
`aws apigatewayv2 create-api --protocol-type HTTP --target <function arn>` (the guide's first
command) leaves an API with nothing to serve. AWS documents quick create as "an API with an
integration, a default catch-all route, and a default stage which is configured to automatically
deploy changes": a Lambda ARN gets an AWS_PROXY integration, any other target (a URL) an
HTTP_PROXY one; the route key is RouteKey or `$default`; CredentialsArn goes to the integration.
This wrapper lets moto create the API, then adds those three resources with moto's own methods.
The payload format (2.0 for Lambda, 1.0 for HTTP), the method (POST for Lambda, ANY for HTTP) and the
30 s timeout are what the AWS CLI reference examples (get-integrations) and users' captures show;
Target on a WebSocket API is refused ("Supported only for HTTP APIs").

The three resources are API Gateway-managed: moto has no such field, so each carries a flag and
their to_json adds `apiGatewayManaged: true` (the API model: "If you created an API using quick
create, the resulting integration is managed by API Gateway", "the $default route", "the $default
stage"; the get-integrations, get-routes and get-stages examples show it). Resources created later
have no flag, so AWS's answer omits the member and so does the twin's. The API itself is not
managed: that flag means an API made by another service's tooling.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, cast

from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.models import Api, Integration, Route, Stage
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.core.common_types import TYPE_RESPONSE

from ._guard import replace, require

require(
    "apigw_quick_create",
    Api,
    [
        ("create_integration", (
            "self", "connection_type", "description", "integration_method", "integration_type", "integration_uri",
            "connection_id", "content_handling_strategy", "credentials_arn", "passthrough_behavior",
            "payload_format_version", "integration_subtype", "request_parameters", "request_templates",
            "response_parameters", "template_selection_expression", "timeout_in_millis", "tls_config",
        )),
        ("create_route", (
            "self", "api_key_required", "authorization_scopes", "route_key", "target", "authorization_type",
            "authorizer_id", "model_selection_expression", "operation_name", "request_models",
            "request_parameters", "route_response_selection_expression",
        )),
        ("create_stage", ("self", "config")),
    ],
)  # fmt: skip
require("apigw_quick_create", ApiGatewayV2Response, [("create_api", ("self",)), ("apigatewayv2_backend", None)])
MANAGED_MODELS = (Integration, Route, Stage)
for _model in MANAGED_MODELS:
    require("apigw_quick_create", _model, [("to_json", ("self",))])
MANAGED = "twin_api_gateway_managed"  # attribute set on the quick-create resources only


class _AbsentFields(Protocol):
    """Api's two calls as moto's response layer makes them: None for a field the request lacks. moto annotates
    description and authorization_scopes as required, yet stores None as "not set" (and omits it from to_json)."""

    def create_integration(
        self,
        *,
        connection_type: str,
        description: str | None,
        integration_method: str,
        integration_type: str,
        integration_uri: str,
        credentials_arn: str | None,
        payload_format_version: str,
        timeout_in_millis: str,
    ) -> Integration: ...

    def create_route(
        self,
        *,
        api_key_required: bool,
        authorization_scopes: list[str] | None,
        route_key: str,
        target: str,
        authorization_type: str,
    ) -> Route: ...


def is_lambda_arn(target: str) -> bool:
    return target.startswith("arn:") and ":lambda:" in target


def quick_create(api: Api, target: str, route_key: str | None, credentials_arn: str | None) -> None:
    """The integration, route and auto-deploying `$default` stage AWS's quick create makes."""
    lambda_target = is_lambda_arn(target)
    calls = cast(_AbsentFields, api)  # the same methods, with the None moto's annotations leave out
    integration = calls.create_integration(
        connection_type="INTERNET",
        description=None,
        integration_method="POST" if lambda_target else "ANY",
        integration_type="AWS_PROXY" if lambda_target else "HTTP_PROXY",
        integration_uri=target,
        credentials_arn=credentials_arn,
        payload_format_version="2.0" if lambda_target else "1.0",
        timeout_in_millis="30000",
    )
    route = calls.create_route(
        api_key_required=False,
        authorization_scopes=None,
        route_key=route_key or "$default",
        target=f"integrations/{integration.id}",
        authorization_type="NONE",
    )
    stage = api.create_stage({"stageName": "$default", "autoDeploy": True})
    for resource in (integration, route, stage):
        setattr(resource, MANAGED, True)


def _flagging(original: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def to_json(self: Any) -> dict[str, Any]:
        answer = original(self)
        if getattr(self, MANAGED, False):
            answer["apiGatewayManaged"] = True
        return answer

    return to_json


def _quick_creating(original: Callable[..., TYPE_RESPONSE]) -> Callable[..., TYPE_RESPONSE]:
    def create_api(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
        params: dict[str, Any] = json.loads(self.body or "{}")
        target = params.get("target")
        if target and params.get("protocolType") == "WEBSOCKET":
            raise BadRequestException("Target is only supported for HTTP APIs.")
        status, headers, body = original(self)
        if target:
            api = self.apigatewayv2_backend.get_api(json.loads(body)["apiId"])
            quick_create(api, target, params.get("routeKey"), params.get("credentialsArn"))
        return status, headers, body

    return create_api


def apply() -> None:
    replace(ApiGatewayV2Response, "create_api", _quick_creating, "apigw_quick_create")
    for model in MANAGED_MODELS:
        replace(model, "to_json", _flagging, "apigw_quick_create")
