"""API Gateway v2 quick create (CreateApi with Target) and the fixed route key of the `$default` route.

The expected answers are the AWS CLI reference examples (get-integrations, get-routes, get-stages: the managed
integration, `$default` route and `$default` stage carry `ApiGatewayManaged: true`) and users' captures of real
quick creates (approov/quickstart-aws-api-gateway-v2 for a URL target, bronifty/multipart-upload-with-signed-url
for a Lambda target); twin/controlplane/README.md gives the status of each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

MANAGED_INTEGRATION_FIELDS = (
    "ApiGatewayManaged",
    "ConnectionType",
    "IntegrationMethod",
    "IntegrationType",
    "IntegrationUri",
    "PayloadFormatVersion",
    "TimeoutInMillis",
)
MANAGED_ROUTE_FIELDS = ("ApiGatewayManaged", "ApiKeyRequired", "AuthorizationType", "RouteKey", "Target")


def _name() -> str:
    return f"qc-{uuid.uuid4().hex[:6]}"


def test_lambda_target_makes_integration_default_route_and_auto_deploy_stage(aws, make_function):
    apigw = aws("apigatewayv2")
    function_arn = make_function()["FunctionArn"]
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target=function_arn)["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert {k: integration.get(k) for k in MANAGED_INTEGRATION_FIELDS} == {
        "ApiGatewayManaged": True, "ConnectionType": "INTERNET", "IntegrationMethod": "POST",
        "IntegrationType": "AWS_PROXY", "IntegrationUri": function_arn, "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 30000,
    }  # fmt: skip
    assert "CredentialsArn" not in integration
    (route,) = apigw.get_routes(ApiId=api_id)["Items"]
    assert {k: route.get(k) for k in MANAGED_ROUTE_FIELDS} == {
        "ApiGatewayManaged": True, "ApiKeyRequired": False, "AuthorizationType": "NONE", "RouteKey": "$default",
        "Target": f"integrations/{integration['IntegrationId']}",
    }  # fmt: skip
    (stage,) = apigw.get_stages(ApiId=api_id)["Items"]
    assert (stage["StageName"], stage["AutoDeploy"], stage["ApiGatewayManaged"]) == ("$default", True, True)
    # Managed API means made by another service's tooling, not by quick create (create-api example).
    assert "ApiGatewayManaged" not in apigw.get_api(ApiId=api_id)


def test_get_integration_route_and_stage_answer_managed_too(aws, make_function):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target=make_function()["FunctionArn"])["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    (route,) = apigw.get_routes(ApiId=api_id)["Items"]
    assert apigw.get_integration(ApiId=api_id, IntegrationId=integration["IntegrationId"])["ApiGatewayManaged"]
    assert apigw.get_route(ApiId=api_id, RouteId=route["RouteId"])["ApiGatewayManaged"]
    assert apigw.get_stage(ApiId=api_id, StageName="$default")["ApiGatewayManaged"]


def test_route_key_and_credentials_arn_apply_to_the_quick_create_resources(aws, make_function):
    apigw = aws("apigatewayv2")
    function_arn = make_function()["FunctionArn"]
    role = "arn:aws:iam::123456789012:role/apigw-invoke"
    api_id = apigw.create_api(
        Name=_name(), ProtocolType="HTTP", Target=function_arn, RouteKey="GET /courses", CredentialsArn=role
    )["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert integration["CredentialsArn"] == role
    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]] == ["GET /courses"]


def test_url_target_makes_an_http_proxy_integration(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target="https://backend.example.test")["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert {k: integration.get(k) for k in MANAGED_INTEGRATION_FIELDS} == {
        "ApiGatewayManaged": True, "ConnectionType": "INTERNET", "IntegrationMethod": "ANY",
        "IntegrationType": "HTTP_PROXY", "IntegrationUri": "https://backend.example.test",
        "PayloadFormatVersion": "1.0", "TimeoutInMillis": 30000,
    }  # fmt: skip
    (route,) = apigw.get_routes(ApiId=api_id)["Items"]
    assert (route["RouteKey"], route["ApiGatewayManaged"], route["ApiKeyRequired"]) == ("$default", True, False)
    (stage,) = apigw.get_stages(ApiId=api_id)["Items"]
    assert (stage["AutoDeploy"], stage["ApiGatewayManaged"]) == (True, True)


def test_a_managed_integration_stays_managed_when_updated(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target="https://backend.example.test")["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    updated = apigw.update_integration(
        ApiId=api_id, IntegrationId=integration["IntegrationId"], RequestParameters={"append:header.X-API-KEY": "k"}
    )
    assert (updated["ApiGatewayManaged"], updated["RequestParameters"]) == (True, {"append:header.X-API-KEY": "k"})


def test_resources_added_to_a_quick_created_api_are_not_managed(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target="https://backend.example.test")["ApiId"]
    added = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri="https://other.example.test",
        PayloadFormatVersion="1.0",
    )
    route = apigw.create_route(ApiId=api_id, RouteKey="ANY /admin", Target=f"integrations/{added['IntegrationId']}")
    stage = apigw.create_stage(ApiId=api_id, StageName="dev")
    assert "ApiGatewayManaged" not in added and "ApiGatewayManaged" not in route
    assert "ApiGatewayManaged" not in stage
    flags = sorted(i.get("ApiGatewayManaged", False) for i in apigw.get_integrations(ApiId=api_id)["Items"])
    assert flags == [False, True]  # the quick-create integration keeps its flag


def test_without_target_nothing_is_added(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP")["ApiId"]
    assert apigw.get_integrations(ApiId=api_id)["Items"] == []
    assert apigw.get_routes(ApiId=api_id)["Items"] == []
    assert apigw.get_stages(ApiId=api_id)["Items"] == []


def test_target_on_a_websocket_api_is_refused(aws):
    apigw = aws("apigatewayv2")
    before = len(apigw.get_apis()["Items"])
    with pytest.raises(ClientError) as err:
        apigw.create_api(
            Name=_name(),
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action",
            Target="https://backend.example.test",
        )
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert len(apigw.get_apis()["Items"]) == before


@pytest.fixture
def quick_api(aws: Callable[[str], Any], make_function: Callable[..., dict[str, Any]]) -> tuple[Any, str, str]:
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target=make_function()["FunctionArn"])["ApiId"]
    (route,) = apigw.get_routes(ApiId=api_id)["Items"]
    return apigw, api_id, route["RouteId"]


def test_default_route_key_cannot_be_changed(quick_api):
    apigw, api_id, route_id = quick_api
    with pytest.raises(ClientError) as err:
        apigw.update_route(ApiId=api_id, RouteId=route_id, RouteKey="GET /courses")
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert apigw.get_route(ApiId=api_id, RouteId=route_id)["RouteKey"] == "$default"


def test_default_route_other_fields_and_other_routes_keys_still_update(quick_api):
    apigw, api_id, route_id = quick_api
    apigw.update_route(ApiId=api_id, RouteId=route_id, RouteKey="$default", OperationName="catch-all")
    assert apigw.get_route(ApiId=api_id, RouteId=route_id)["OperationName"] == "catch-all"
    other = apigw.create_route(ApiId=api_id, RouteKey="GET /a")["RouteId"]
    apigw.update_route(ApiId=api_id, RouteId=other, RouteKey="GET /courses")
    assert apigw.get_route(ApiId=api_id, RouteId=other)["RouteKey"] == "GET /courses"
