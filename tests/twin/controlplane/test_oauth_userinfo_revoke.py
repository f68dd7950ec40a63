"""/oauth2/userInfo (attributes for an access token with openid; WWW-Authenticate refusals) and /oauth2/revoke
(200 with an empty body; invalid_request, unsupported_token_type, and invalid_client with 401), as the user
attributes and token revocation endpoint pages document them."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.twin.controlplane.oauth_support import (
    CALLBACK,
    FORM,
    READ,
    OAuthPool,
    code_for,
    make_oauth_pool,
    token_request,
)
from twin.controlplane import ControlPlane

BAD_TOKEN = (
    'error="invalid_token", error_description="Access token is expired, disabled, or deleted, or the user '
    'has globally signed out."'
)


@pytest.fixture
def pool(idp: Any, control_plane: ControlPlane) -> OAuthPool:
    return make_oauth_pool(idp, control_plane.url)


def hosted_tokens(pool: OAuthPool, scope: str = "openid email") -> dict[str, Any]:
    answer = token_request(
        pool,
        {
            "grant_type": "authorization_code",
            "client_id": pool.spa_id,
            "code": code_for(pool, scope=scope),
            "redirect_uri": CALLBACK,
        },
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def userinfo(pool: OAuthPool, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(f"{pool.base}/oauth2/userInfo", headers=headers, timeout=10)


def revoke(pool: OAuthPool, data: dict[str, str], auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.post(f"{pool.base}/oauth2/revoke", data=data, auth=auth, headers=FORM, timeout=10)


def test_userinfo_answers_the_users_attributes(pool: OAuthPool) -> None:
    answer = userinfo(pool, hosted_tokens(pool)["access_token"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {
        "sub": pool.sub,
        "email": f"{pool.username}@example.test",
        "email_verified": "true",
        "username": pool.username,
    }


def test_userinfo_without_a_bearer_token_is_invalid_request(pool: OAuthPool) -> None:
    answer = userinfo(pool, None)
    assert answer.status_code == 400
    assert (
        answer.headers["WWW-Authenticate"]
        == 'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"'
    )


def test_userinfo_refuses_bad_tokens(pool: OAuthPool, idp: Any, control_plane: ControlPlane) -> None:
    other = make_oauth_pool(idp, control_plane.url)
    api_token = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.spa_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
    )
    for token in (
        "garbage",
        hosted_tokens(other)["access_token"],  # not a token; another pool's
        hosted_tokens(pool)["id_token"],  # an ID token
        hosted_tokens(pool, scope=READ)["access_token"],  # no openid scope
        api_token["AuthenticationResult"]["AccessToken"],
    ):  # the API's: no scopes but the admin one
        answer = userinfo(pool, token)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == BAD_TOKEN


def test_userinfo_refuses_a_signed_out_users_token(pool: OAuthPool, idp: Any) -> None:
    access = hosted_tokens(pool)["access_token"]
    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=pool.username)
    assert userinfo(pool, access).status_code == 401


def test_revoke_a_refresh_token_of_a_public_client(pool: OAuthPool) -> None:
    tokens = hosted_tokens(pool)
    answer = revoke(pool, {"token": tokens["refresh_token"], "client_id": pool.spa_id})
    assert (answer.status_code, answer.content) == (200, b"")
    after = token_request(
        pool, {"grant_type": "refresh_token", "client_id": pool.spa_id, "refresh_token": tokens["refresh_token"]}
    )
    assert (after.status_code, after.json()) == (400, {"error": "invalid_grant"})
    assert userinfo(pool, tokens["access_token"]).status_code == 401  # its access tokens go with it


def test_revoke_an_unknown_token_succeeds(pool: OAuthPool) -> None:
    assert revoke(pool, {"token": "unknown-token", "client_id": pool.spa_id}).status_code == 200


def test_revoke_refusals(pool: OAuthPool, idp: Any, control_plane: ControlPlane) -> None:
    tokens = hosted_tokens(pool)
    missing = revoke(pool, {"client_id": pool.spa_id})
    assert (missing.status_code, missing.json()) == (400, {"error": "invalid_request"})
    access = revoke(pool, {"token": tokens["access_token"], "client_id": pool.spa_id})
    assert (access.status_code, access.json()) == (400, {"error": "unsupported_token_type"})
    wrong = revoke(pool, {"token": tokens["refresh_token"]}, auth=(pool.m2m_id, "y" * 52))
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    off = make_oauth_pool(idp, control_plane.url, EnableTokenRevocation=False)
    disabled = revoke(off, {"token": hosted_tokens(off)["refresh_token"], "client_id": off.spa_id})
    assert (disabled.status_code, disabled.json()) == (400, {"error": "invalid_request"})


def test_a_confidential_web_client_exchanges_refreshes_and_revokes_with_basic_auth(pool: OAuthPool, idp: Any) -> None:
    client = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="web-confidential",
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=[CALLBACK],
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    basic = (client["ClientId"], client["ClientSecret"])
    confidential = OAuthPool(
        pool.id, pool.domain, pool.base, client["ClientId"], pool.m2m_id, pool.m2m_secret, pool.username, pool.sub
    )
    code = code_for(confidential)
    no_secret = token_request(
        pool,
        {"grant_type": "authorization_code", "client_id": client["ClientId"], "code": code, "redirect_uri": CALLBACK},
    )
    assert (no_secret.status_code, no_secret.json()) == (400, {"error": "invalid_client"})
    tokens = token_request(
        pool, {"grant_type": "authorization_code", "code": code_for(confidential), "redirect_uri": CALLBACK}, auth=basic
    )
    assert tokens.status_code == 200, tokens.text
    refresh = tokens.json()["refresh_token"]
    refreshed = token_request(pool, {"grant_type": "refresh_token", "refresh_token": refresh}, auth=basic)
    assert refreshed.status_code == 200, refreshed.text
    assert revoke(pool, {"token": refresh}, auth=basic).status_code == 200
    after = token_request(pool, {"grant_type": "refresh_token", "refresh_token": refresh}, auth=basic)
    assert (after.status_code, after.json()) == (400, {"error": "invalid_grant"})
