"""API Gateway v2 quick create (CreateApi with Target) and the fixed route key of the `$default` route."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _name() -> str:
    return f"qc-{uuid.uuid4().hex[:6]}"


def test_lambda_target_makes_integration_default_route_and_auto_deploy_stage(aws, make_function):
    apigw = aws("apigatewayv2")
    function_arn = make_function()["FunctionArn"]
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target=function_arn)["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == function_arn
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["TimeoutInMillis"] == 30000
    assert "CredentialsArn" not in integration
    (route,) = apigw.get_routes(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert route["AuthorizationType"] == "NONE"
    (stage,) = apigw.get_stages(ApiId=api_id)["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)


def test_route_key_and_credentials_arn_apply_to_the_quick_create_resources(aws, make_function):
    apigw = aws("apigatewayv2")
    function_arn = make_function()["FunctionArn"]
    role = "arn:aws:iam::123456789012:role/apigw-invoke"
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target=function_arn, RouteKey="GET /courses",
                              CredentialsArn=role)["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert integration["CredentialsArn"] == role
    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]] == ["GET /courses"]


def test_url_target_makes_an_http_proxy_integration(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=_name(), ProtocolType="HTTP", Target="https://backend.example.test")["ApiId"]
    (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert (integration["IntegrationType"], integration["IntegrationMethod"]) == ("HTTP_PROXY", "ANY")
    assert integration["PayloadFormatVersion"] == "1.0"


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
        apigw.create_api(Name=_name(), ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action",
                         Target="https://backend.example.test")
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
