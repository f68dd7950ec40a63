"""API Gateway v2 CreateAuthorizer: a JWT authorizer's Cognito issuer needs a discovery document.

AWS fetches `<issuer>/.well-known/openid-configuration` during CreateAuthorizer and refuses an issuer without one
(haandol/cognito-kakao-example#1; aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock #115,
PR #140). The twin resolves the Cognito forms against the documents its control plane serves; what is
unconfirmed (UpdateAuthorizer, other issuers, the region and trailing-slash rules) is in twin/controlplane/README.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.twin.controlplane.conftest import REGION

SUFFIX = "Issuer must have a valid discovery endpoint ended with '/.well-known/openid-configuration'"


@pytest.fixture
def api(aws: Callable[[str], Any]) -> str:
    return str(aws("apigatewayv2").create_api(Name=f"jwt-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"])


def new_pool(aws: Callable[[str], Any], issuer_type: str = "ORIGINAL") -> str:
    return str(
        aws("cognito-idp").create_user_pool(
            PoolName=f"jwt-{uuid.uuid4().hex[:6]}", IssuerConfiguration={"Type": issuer_type}
        )["UserPool"]["Id"]
    )


def create(aws: Callable[[str], Any], api_id: str, issuer: str) -> dict[str, Any]:
    return dict(
        aws("apigatewayv2").create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            Name="jwt",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": issuer, "Audience": ["client"]},
        )
    )


def refused(aws: Callable[[str], Any], api_id: str, issuer: str) -> str:
    with pytest.raises(ClientError) as err:
        create(aws, api_id, issuer)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert aws("apigatewayv2").get_authorizers(ApiId=api_id)["Items"] == []  # nothing was created
    return str(err.value.response["Error"]["Message"])


def test_the_issuer_of_a_pool_that_does_not_exist_is_refused_with_awss_message(aws, api):
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_NoSuchPool"
    assert refused(aws, api, issuer) == (
        f"Caught exception when connecting to {issuer}/.well-known/openid-configuration for issuer {issuer}. "
        f"Please try again later. Error: Invalid issuer: {issuer}. {SUFFIX}"
    )


def test_a_pool_named_under_another_regions_endpoint_is_refused(aws, api):
    issuer = f"https://cognito-idp.eu-west-1.amazonaws.com/{new_pool(aws)}"
    assert refused(aws, api, issuer).endswith(f"Invalid issuer: {issuer}. {SUFFIX}")


def test_the_updated_form_of_a_pool_on_original_is_refused(aws, api):
    # The issuer-cognito-idp documents of a pool on ORIGINAL answer 403.
    issuer = f"https://issuer-cognito-idp.{REGION}.amazonaws.com/{new_pool(aws, 'ORIGINAL')}"
    assert refused(aws, api, issuer).endswith(f"Invalid issuer: {issuer}. {SUFFIX}")


@pytest.mark.parametrize(
    ("host", "issuer_type"),
    [
        ("cognito-idp", "ORIGINAL"),
        ("issuer-cognito-idp", "UPDATED"),
        ("cognito-idp", "UPDATED"),  # the original-form documents of an UPDATED pool are served
    ],
)
def test_an_issuer_whose_documents_are_served_is_accepted(aws, api, host, issuer_type):
    issuer = f"https://{host}.{REGION}.amazonaws.com/{new_pool(aws, issuer_type)}"
    created = create(aws, api, issuer)
    assert created["JwtConfiguration"]["Issuer"] == issuer


def test_another_pools_issuer_and_a_trailing_slash_are_accepted(aws, api):
    # Discovery exists for both: another existing pool's, and the same document once the slash is removed
    # (OpenID Connect Discovery 1.0 section 4); the exact-match refusal comes later, at request time.
    foreign = f"https://cognito-idp.{REGION}.amazonaws.com/{new_pool(aws)}"
    create(aws, api, foreign)
    create(aws, api, foreign + "/")
    assert len(aws("apigatewayv2").get_authorizers(ApiId=api)["Items"]) == 2


def test_issuers_of_other_providers_and_update_authorizer_are_not_checked(aws, api):
    # The twin has no network for other issuers, and no capture shows AWS checking UpdateAuthorizer.
    authorizer_id = create(aws, api, "https://idp.example.test")["AuthorizerId"]
    missing = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_NoSuchPool"
    updated = aws("apigatewayv2").update_authorizer(
        ApiId=api, AuthorizerId=authorizer_id, JwtConfiguration={"Issuer": missing, "Audience": ["client"]}
    )
    assert updated["JwtConfiguration"]["Issuer"] == missing


def test_a_request_authorizer_is_not_checked(aws, api):
    created = aws("apigatewayv2").create_authorizer(
        ApiId=api,
        AuthorizerType="REQUEST",
        Name="lambda",
        AuthorizerPayloadFormatVersion="2.0",
        IdentitySource=["$request.header.Authorization"],
        AuthorizerUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{REGION}:123456789012:function:auth/invocations",
    )
    assert created["AuthorizerType"] == "REQUEST"
