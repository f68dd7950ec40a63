"""/oauth2/token's client credentials grant (client_secret_basic and client_secret_post) and the token endpoint's
refusals: HTTP 400, application/json, {"error": code} (the token endpoint page's sample error response)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.twin.controlplane.oauth_support import (
    FORM,
    READ,
    WRITE,
    OAuthPool,
    claims,
    make_oauth_pool,
    token_request,
)
from twin.controlplane import ControlPlane


@pytest.fixture
def pool(idp: Any, control_plane: ControlPlane) -> OAuthPool:
    return make_oauth_pool(idp, control_plane.url)


def refused(answer: requests.Response, error: str, status: int = 400) -> None:
    assert (answer.status_code, answer.json()) == (status, {"error": error}), answer.text
    assert answer.headers["Content-Type"].startswith("application/json")


def test_client_credentials_with_basic_auth(pool: OAuthPool) -> None:
    answer = token_request(
        pool, {"grant_type": "client_credentials", "scope": READ}, auth=(pool.m2m_id, pool.m2m_secret)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # no ID or refresh token for a machine
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    access = claims(body["access_token"])
    assert set(access) == {"sub", "token_use", "scope", "auth_time", "iss", "exp", "iat", "version", "jti", "client_id"}
    assert access["sub"] == access["client_id"] == pool.m2m_id
    assert access["token_use"] == "access" and access["scope"] == READ and access["iss"] == pool.issuer
    assert access["version"] == 2 and access["exp"] - access["iat"] == 3600
    assert abs(access["auth_time"] - time.time()) < 30


def test_client_credentials_with_post_auth_and_no_scope_gets_all_the_clients_scopes(pool: OAuthPool) -> None:
    answer = token_request(
        pool, {"grant_type": "client_credentials", "client_id": pool.m2m_id, "client_secret": pool.m2m_secret}
    )
    assert answer.status_code == 200, answer.text
    assert claims(answer.json()["access_token"])["scope"] == READ


@pytest.mark.parametrize("scope", [WRITE, "openid", "learninghub/nope", f"{READ} {WRITE}"])
def test_a_scope_the_machine_may_not_have_is_invalid_scope(pool: OAuthPool, scope: str) -> None:
    refused(
        token_request(pool, {"grant_type": "client_credentials", "scope": scope}, auth=(pool.m2m_id, pool.m2m_secret)),
        "invalid_scope",
    )


@pytest.mark.parametrize(
    "how", ["wrong secret", "no secret", "unknown client", "basic and another body id", "a secret of other characters"]
)
def test_a_client_that_does_not_authenticate_is_invalid_client(pool: OAuthPool, how: str) -> None:
    data = {"grant_type": "client_credentials"}
    auth: tuple[str, str] | None = None
    if how == "wrong secret":
        auth = (pool.m2m_id, "x" * 52)
    elif how == "no secret":
        data["client_id"] = pool.m2m_id
    elif how == "unknown client":
        auth = ("nosuchclient", pool.m2m_secret)
    elif how == "a secret of other characters":
        data.update(client_id=pool.m2m_id, client_secret="sécret-✓")
    else:
        auth = (pool.m2m_id, pool.m2m_secret)
        data["client_id"] = pool.spa_id
    refused(token_request(pool, data, auth=auth), "invalid_client")


def test_a_public_client_cannot_use_client_credentials(pool: OAuthPool) -> None:
    refused(token_request(pool, {"grant_type": "client_credentials", "client_id": pool.spa_id}), "unauthorized_client")


def test_a_confidential_client_without_the_flow_is_unauthorized(pool: OAuthPool, idp: Any) -> None:
    client = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="web-secret",
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=["https://x.test/cb"],
    )["UserPoolClient"]
    refused(
        token_request(pool, {"grant_type": "client_credentials"}, auth=(client["ClientId"], client["ClientSecret"])),
        "unauthorized_client",
    )


def test_a_machine_client_not_enabled_for_oauth_gets_invalid_grant(pool: OAuthPool, idp: Any) -> None:
    client = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="m2m-off",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[READ],
    )["UserPoolClient"]  # OAuth left off
    refused(
        token_request(pool, {"grant_type": "client_credentials"}, auth=(client["ClientId"], client["ClientSecret"])),
        "invalid_grant",
    )


def test_the_m2m_client_cannot_exchange_codes(pool: OAuthPool) -> None:
    refused(
        token_request(
            pool,
            {"grant_type": "authorization_code", "code": "c", "redirect_uri": "https://x.test"},
            auth=(pool.m2m_id, pool.m2m_secret),
        ),
        "unauthorized_client",
    )


def test_an_unknown_grant_type_is_unsupported(pool: OAuthPool) -> None:
    refused(token_request(pool, {"grant_type": "password", "client_id": pool.spa_id}), "unsupported_grant_type")


@pytest.mark.parametrize(
    "data",
    [
        {"client_id": "x"},  # no grant_type
        {"grant_type": "authorization_code", "redirect_uri": "https://app.example.test/callback"},  # no code
        {"grant_type": "refresh_token"},  # no refresh_token
    ],
)
def test_a_missing_parameter_is_invalid_request(pool: OAuthPool, data: dict[str, str]) -> None:
    data = {"client_id": pool.spa_id, **data}
    refused(token_request(pool, data), "invalid_request")


def test_a_body_that_is_not_form_encoded_is_invalid_request(pool: OAuthPool) -> None:
    answer = requests.post(
        f"{pool.base}/oauth2/token",
        json={"grant_type": "client_credentials"},
        auth=(pool.m2m_id, pool.m2m_secret),
        timeout=10,
    )
    refused(answer, "invalid_request")


def test_the_token_endpoint_takes_post_only(pool: OAuthPool) -> None:
    answer = requests.get(f"{pool.base}/oauth2/token", headers=FORM, timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
