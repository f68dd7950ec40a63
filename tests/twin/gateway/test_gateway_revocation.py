"""Revoked and signed-out tokens at the JWT authorizer: Cognito's GetUser refuses them, the authorizer (a local JWT
verifier) keeps accepting them until `exp`, as AWS documents ("revoked tokens will still be valid if they are
verified using any JWT library")."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.twin.gateway.gateway_support import REGION, GatewayProcess, call, deploy_api, wait_routed

PASSWORD = "Str0ng#Passw0rd!"


def test_revoked_tokens_keep_passing_the_authorizer_until_they_expire(
    gateway: GatewayProcess, clients: dict[str, Any]
) -> None:
    idp = clients["cognito-idp"]
    pool = idp.create_user_pool(PoolName=f"gw-rev-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="alice", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=PASSWORD, Permanent=True)

    def sign_in() -> dict[str, Any]:
        return idp.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]

    revoked, signed_out = sign_in(), sign_in()
    deployed = deploy_api(
        clients,
        {"GET /me": {"auth": True}, "GET /open": {}},
        issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool}",
        audience=[client_id],
    )
    wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")
    for session in (revoked, signed_out):
        for name in ("IdToken", "AccessToken"):
            assert call(gateway, deployed.api_id, "GET", "/me", token=session[name]).status_code == 200

    idp.revoke_token(Token=revoked["RefreshToken"], ClientId=client_id)
    idp.admin_user_global_sign_out(UserPoolId=pool, Username="alice")
    for session in (revoked, signed_out):
        with pytest.raises(ClientError) as exc:
            idp.get_user(AccessToken=session["AccessToken"])
        assert exc.value.response["Error"]["Message"] == "Access Token has been revoked"
        for name in ("IdToken", "AccessToken"):
            resp = call(gateway, deployed.api_id, "GET", "/me", token=session[name])
            assert resp.status_code == 200, (name, resp.text)
