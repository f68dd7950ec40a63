"""Tokens of the hosted flows at the twin's HTTP API gateway: accepted exactly as API sign-in tokens are (same
issuer, keys and audience rules), and a route's AuthorizationScopes met by the custom scope of a client
credentials token or a code grant, refused (403) for a token without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.twin.controlplane.oauth_support import (
    CALLBACK,
    READ,
    OAuthPool,
    code_for,
    make_oauth_pool,
    token_request,
)
from tests.twin.gateway.gateway_support import GatewayProcess, call, deploy_api, start_gateway, wait_routed
from twin.controlplane import ControlPlane


@pytest.fixture(scope="module")
def gateway(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    gw = start_gateway(control_plane.url, Path(tmp_path_factory.mktemp("oauth-gateway")), "--refresh-interval", "0.3")
    yield gw
    assert gw.stop() == 0, gw.stderr()


@pytest.fixture
def clients(aws: Any) -> dict[str, Any]:
    return {name: aws(name) for name in ("apigatewayv2", "lambda", "iam", "logs", "cognito-idp")}


def hosted(pool: OAuthPool, scope: str) -> dict[str, Any]:
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


def machine(pool: OAuthPool) -> str:
    answer = token_request(
        pool, {"grant_type": "client_credentials", "scope": READ}, auth=(pool.m2m_id, pool.m2m_secret)
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_hosted_and_machine_tokens_at_the_gateway(
    gateway: GatewayProcess, clients: dict[str, Any], idp: Any, control_plane: ControlPlane
) -> None:
    pool = make_oauth_pool(idp, control_plane.url)
    deployed = deploy_api(
        clients,
        {"GET /me": {"auth": True}, "GET /reports": {"auth": True, "scopes": [READ]}, "GET /open": {}},
        issuer=pool.issuer,
        audience=[pool.spa_id, pool.m2m_id],
    )
    wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")
    api = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.spa_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
    )
    code_grant = hosted(pool, "openid email")
    scoped_grant = hosted(pool, "openid " + READ)
    m2m = machine(pool)

    for token in (
        api["AuthenticationResult"]["AccessToken"],
        api["AuthenticationResult"]["IdToken"],
        code_grant["access_token"],
        code_grant["id_token"],
        m2m,
    ):
        assert call(gateway, deployed.api_id, "GET", "/me", token=token).status_code == 200

    answer = call(gateway, deployed.api_id, "GET", "/reports", token=m2m)
    assert answer.status_code == 200, answer.text
    seen = answer.json()["event"]["requestContext"]["authorizer"]["jwt"]
    assert seen["scopes"] == [READ] and seen["claims"]["client_id"] == pool.m2m_id
    assert call(gateway, deployed.api_id, "GET", "/reports", token=scoped_grant["access_token"]).status_code == 200

    for token in (code_grant["access_token"], api["AuthenticationResult"]["AccessToken"]):
        refused = call(gateway, deployed.api_id, "GET", "/reports", token=token)
        assert refused.status_code == 403
        assert refused.json() == {"message": "Forbidden"}
