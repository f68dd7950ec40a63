"""The JWT authorizer with Cognito pools of both issuer types: it validates against whichever issuer it names
(ORIGINAL `https://cognito-idp...` or UPDATED `https://issuer-cognito-idp...`) and refuses tokens of the other
form with 401, as AWS does (the authorizer's Issuer must equal the token's `iss`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.twin.gateway.gateway_support import REGION, GatewayProcess, call, deploy_api, eventually, wait_routed
from twin.gateway.jwks import IssuerMap

PASSWORD = "Str0ng#Passw0rd!"


def issuer(kind: str, pool_id: str) -> str:
    host = "issuer-cognito-idp" if kind == "UPDATED" else "cognito-idp"
    return f"https://{host}.{REGION}.amazonaws.com/{pool_id}"


def make_pool(idp: Any, kind: str) -> tuple[str, str]:
    """(pool id, client id) of a pool of that issuer type with user alice."""
    pool = idp.create_user_pool(PoolName=f"gw-iss-{uuid.uuid4().hex[:6]}", IssuerConfiguration={"Type": kind})[
        "UserPool"
    ]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    idp.admin_create_user(UserPoolId=pool, Username="alice", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=PASSWORD, Permanent=True)
    return pool, client["ClientId"]


def tokens(idp: Any, pool: str, client_id: str) -> dict[str, Any]:
    return idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]


def test_issuer_map_finds_both_cognito_forms() -> None:
    issuers = IssuerMap("http://127.0.0.1:9000/")
    assert issuers.discovery_base(issuer("ORIGINAL", "us-east-1_abc")) == "http://127.0.0.1:9000/us-east-1_abc"
    assert (
        issuers.discovery_base(issuer("UPDATED", "us-east-1_abc"))
        == "http://127.0.0.1:9000/issuer-cognito-idp/us-east-1_abc"
    )
    assert issuers.discovery_base("https://issuer-cognito-idp.us-east-1.amazonaws.com.evil.test/p") is None


@pytest.mark.parametrize(
    ("pool_type", "authorizer_type", "status"),
    [
        ("ORIGINAL", "ORIGINAL", 200),
        ("UPDATED", "UPDATED", 200),
        ("UPDATED", "ORIGINAL", 401),  # a stale authorizer: the tokens carry the UPDATED issuer
        ("ORIGINAL", "UPDATED", 401),  # the issuer-cognito-idp keys of an ORIGINAL pool answer 403
    ],
)
def test_the_authorizer_accepts_only_tokens_of_the_issuer_it_names(
    gateway: GatewayProcess, clients: dict[str, Any], pool_type: str, authorizer_type: str, status: int
) -> None:
    idp = clients["cognito-idp"]
    # CreateAuthorizer refuses an issuer without a discovery document, and an ORIGINAL pool has none under
    # issuer-cognito-idp: such an authorizer exists only once its pool went back to ORIGINAL after it was made.
    moved_back = (pool_type, authorizer_type) == ("ORIGINAL", "UPDATED")
    pool, client_id = make_pool(idp, authorizer_type if moved_back else pool_type)
    deployed = deploy_api(
        clients,
        {"GET /me": {"auth": True}, "GET /open": {}},
        issuer=issuer(authorizer_type, pool),
        audience=[client_id],
    )
    if moved_back:
        idp.update_user_pool(UserPoolId=pool, IssuerConfiguration={"Type": pool_type})
    result = tokens(idp, pool, client_id)
    wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")  # the last route: the whole API is served
    for name in ("IdToken", "AccessToken"):
        resp = call(gateway, deployed.api_id, "GET", "/me", token=result[name])
        assert resp.status_code == status, (name, resp.text, resp.headers.get("www-authenticate"))
        if status == 401:
            assert resp.json() == {"message": "Unauthorized"}
            assert 'error="invalid_token"' in resp.headers["www-authenticate"]
        else:
            claims = resp.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]
            assert claims["iss"] == issuer(pool_type, pool)


def test_a_pool_moving_to_updated_needs_its_authorizer_to_follow(
    gateway: GatewayProcess, clients: dict[str, Any]
) -> None:
    idp, apigw = clients["cognito-idp"], clients["apigatewayv2"]
    pool, client_id = make_pool(idp, "ORIGINAL")
    deployed = deploy_api(
        clients, {"GET /me": {"auth": True}, "GET /open": {}}, issuer=issuer("ORIGINAL", pool), audience=[client_id]
    )
    wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")  # the last route: the whole API is served
    before = tokens(idp, pool, client_id)["IdToken"]
    assert call(gateway, deployed.api_id, "GET", "/me", token=before).status_code == 200

    idp.update_user_pool(UserPoolId=pool, IssuerConfiguration={"Type": "UPDATED"})
    fresh = tokens(idp, pool, client_id)["IdToken"]
    stale_answer = call(gateway, deployed.api_id, "GET", "/me", token=fresh)
    assert stale_answer.status_code == 401
    assert "the token does not have a valid issuer" in stale_answer.headers["www-authenticate"]

    apigw.update_authorizer(
        ApiId=deployed.api_id,
        AuthorizerId=deployed.authorizer_id,
        JwtConfiguration={"Issuer": issuer("UPDATED", pool), "Audience": [client_id]},
    )
    eventually(lambda: call(gateway, deployed.api_id, "GET", "/me", token=fresh).status_code == 200)
