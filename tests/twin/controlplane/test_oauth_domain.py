"""The pool's domain and resource servers: CreateUserPoolDomain / DescribeUserPoolDomain (moto's answers, with
Cognito's refusals added), CreateResourceServer's scopes, and the discovery document naming the domain's
endpoints on the control plane."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.twin.controlplane.oauth_support import READ, RESOURCE, make_oauth_pool
from twin.controlplane import ControlPlane


def refusal(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_describe_user_pool_domain(idp: Any, control_plane: ControlPlane) -> None:
    pool = make_oauth_pool(idp, control_plane.url)
    described = idp.describe_user_pool_domain(Domain=pool.domain)["DomainDescription"]
    assert (described["UserPoolId"], described["Domain"], described["Status"]) == (pool.id, pool.domain, "ACTIVE")
    assert idp.describe_user_pool(UserPoolId=pool.id)["UserPool"]["Domain"] == pool.domain
    assert idp.describe_user_pool_domain(Domain="no-such-domain-here")["DomainDescription"] == {}


def test_a_taken_prefix_a_second_domain_and_a_bad_prefix_are_refused(idp: Any, control_plane: ControlPlane) -> None:
    pool = make_oauth_pool(idp, control_plane.url)
    other = idp.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    with pytest.raises(ClientError) as taken:
        idp.create_user_pool_domain(Domain=pool.domain, UserPoolId=other)
    assert refusal(taken) == ("InvalidParameterException", "Domain already associated with another user pool.")
    with pytest.raises(ClientError) as second:
        idp.create_user_pool_domain(Domain=f"second-{uuid.uuid4().hex[:6]}", UserPoolId=pool.id)
    assert refusal(second)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as bad:
        idp.create_user_pool_domain(Domain="Bad_Prefix", UserPoolId=other)
    code, message = refusal(bad)
    assert code == "InvalidParameterException" and message.startswith("The domain name contains an invalid character")
    assert idp.describe_user_pool_domain(Domain=pool.domain)["DomainDescription"]["UserPoolId"] == pool.id


def test_resource_server_scopes(idp: Any, control_plane: ControlPlane) -> None:
    pool = make_oauth_pool(idp, control_plane.url)
    server = idp.describe_resource_server(UserPoolId=pool.id, Identifier=RESOURCE)["ResourceServer"]
    assert [s["ScopeName"] for s in server["Scopes"]] == ["courses.read", "courses.write"]
    assert idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=pool.m2m_id)["UserPoolClient"][
        "AllowedOAuthScopes"
    ] == [READ]


def test_the_discovery_document_names_the_domains_endpoints(idp: Any, control_plane: ControlPlane) -> None:
    pool = make_oauth_pool(idp, control_plane.url)
    doc = requests.get(f"{control_plane.url}/{pool.id}/.well-known/openid-configuration", timeout=10).json()
    assert doc["authorization_endpoint"] == f"{pool.base}/oauth2/authorize"
    assert doc["token_endpoint"] == f"{pool.base}/oauth2/token"
    assert doc["userinfo_endpoint"] == f"{pool.base}/oauth2/userInfo"
    assert doc["revocation_endpoint"] == f"{pool.base}/oauth2/revoke"
    assert doc["issuer"] == pool.issuer
    bare = idp.create_user_pool(PoolName=f"bare-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    without = requests.get(f"{control_plane.url}/{bare}/.well-known/openid-configuration", timeout=10).json()
    assert "token_endpoint" not in without
