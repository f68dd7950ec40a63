"""Lambda AddPermission Sid conflicts and API Gateway v2 GetAuthorizers."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def function(make_function):
    return make_function()["FunctionName"]


def test_duplicate_statement_id_is_a_conflict(aws, function):
    lam = aws("lambda")
    permission = {
        "FunctionName": function,
        "StatementId": "apigw-invoke",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abcdefgh/*/*/*",
    }
    lam.add_permission(**permission)
    with pytest.raises(ClientError) as exc:
        lam.add_permission(**permission)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert exc.value.response["Error"]["Code"] == "ResourceConflictException"
    assert exc.value.response["Error"]["Message"] == (
        "The statement id (apigw-invoke) provided already exists. Please provide a new statement id, "
        "or remove the existing statement."
    )
    statements = json.loads(lam.get_policy(FunctionName=function)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["apigw-invoke"]
    lam.remove_permission(FunctionName=function, StatementId="apigw-invoke")
    lam.add_permission(**permission)  # free again once removed


def test_get_authorizers_lists_what_get_authorizer_returns(aws):
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(Name=f"api-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    assert apigw.get_authorizers(ApiId=api_id)["Items"] == []
    created = [
        apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            Name=f"auth{i}",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": "https://issuer.example", "Audience": [f"aud{i}"]},
        )
        for i in range(2)
    ]
    items = apigw.get_authorizers(ApiId=api_id)["Items"]
    assert [i["AuthorizerId"] for i in items] == [c["AuthorizerId"] for c in created]
    single = apigw.get_authorizer(ApiId=api_id, AuthorizerId=created[1]["AuthorizerId"])
    assert (
        items[1]["JwtConfiguration"]
        == single["JwtConfiguration"]
        == {"Issuer": "https://issuer.example", "Audience": ["aud1"]}
    )


def test_get_authorizers_of_unknown_api_is_not_found(aws):
    with pytest.raises(ClientError) as exc:
        aws("apigatewayv2").get_authorizers(ApiId="nosuchid")
    assert exc.value.response["Error"]["Code"] == "NotFoundException"
