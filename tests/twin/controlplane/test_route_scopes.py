"""API Gateway v2 UpdateRoute: AuthorizationScopes=[] clears the scopes; leaving the field out keeps them."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def route(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=f"api-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example.test", "Audience": ["client"]},
    )["AuthorizerId"]
    route_id = apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /me",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["learninghub/admin"],
    )["RouteId"]
    return apigw, api_id, route_id


def test_empty_list_clears_the_scopes(route):
    apigw, api_id, route_id = route
    apigw.update_route(ApiId=api_id, RouteId=route_id, AuthorizationScopes=[])
    assert not apigw.get_route(ApiId=api_id, RouteId=route_id).get("AuthorizationScopes")
    (listed,) = apigw.get_routes(ApiId=api_id)["Items"]
    assert not listed.get("AuthorizationScopes")
    assert listed["AuthorizationType"] == "JWT"


def test_field_left_out_keeps_the_scopes(route):
    apigw, api_id, route_id = route
    apigw.update_route(ApiId=api_id, RouteId=route_id, RouteKey="GET /profile")
    got = apigw.get_route(ApiId=api_id, RouteId=route_id)
    assert got["AuthorizationScopes"] == ["learninghub/admin"] and got["RouteKey"] == "GET /profile"


def test_new_list_replaces_the_scopes(route):
    apigw, api_id, route_id = route
    apigw.update_route(ApiId=api_id, RouteId=route_id, AuthorizationScopes=["a/read", "a/write"])
    assert apigw.get_route(ApiId=api_id, RouteId=route_id)["AuthorizationScopes"] == ["a/read", "a/write"]
