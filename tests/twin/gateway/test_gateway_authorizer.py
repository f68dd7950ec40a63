"""JWT authorizer through the running gateway: what passes, what is refused with which answer, and that a
refused request never reaches the Lambda (proved from its CloudWatch logs, as the e2e suite does)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.twin.gateway.gateway_support import (
    Deployed,
    GatewayProcess,
    OidcServer,
    call,
    deploy_api,
    eventually,
    mint,
    wait_routed,
)

MAIN = OidcServer.issuer_id("main")
UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture(scope="module")
def api(clients: dict[str, Any], gateway: GatewayProcess) -> Deployed:
    deployed = deploy_api(
        clients,
        {
            "GET /secure": {"auth": True},
            "GET /scoped": {"auth": True, "scopes": ["read:items", "admin"]},
            "GET /dangling": {"auth": True, "authorizer_id": "nosuchid"},
            "GET /one-scope": {"auth": True, "scopes": ["read:items"]},
            "GET /open": {},  # last: its route key proves the routes before it are served (deploy_api)
        },
        issuer=MAIN,
        audience=["client-a", "client-b"],
    )
    wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")
    return deployed


@pytest.fixture(scope="module")
def issuer(oidc: OidcServer) -> Any:
    return oidc.issuers["main"]


def invoked_probes(clients: dict[str, Any], function: str) -> set[str]:
    probes = set()
    kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{function}"}
    while True:  # every page: a probe on a later page must not go unseen
        page = clients["logs"].filter_log_events(**kwargs)
        for event in page["events"]:
            if event["message"].startswith("{"):
                probes.add(json.loads(event["message"]).get("probe"))
        if not page.get("nextToken"):
            return probes
        kwargs["nextToken"] = page["nextToken"]


def assert_unauthorized(resp: Any, description: str | None = None) -> None:
    assert resp.status_code == 401, resp.text
    assert resp.json() == UNAUTHORIZED
    assert resp.headers["content-type"] == "application/json"
    if description is None:
        assert resp.headers["www-authenticate"] == "Bearer"
    else:
        assert resp.headers["www-authenticate"] == (
            f'Bearer scope="" error="invalid_token" error_description="{description}"'
        )


def test_valid_token_reaches_lambda_with_string_claims(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    token = mint(
        issuer,
        {
            "aud": "client-a",
            "cognito:groups": ["admin", "poweruser"],
            "email_verified": True,
            "custom:n": 7,
            "nested": {"a": 1},
            "gone": None,
        },
    )
    resp = call(gateway, api.api_id, "GET", "/secure", token=token)
    assert resp.status_code == 200, resp.text
    jwt_ctx = resp.json()["event"]["requestContext"]["authorizer"]["jwt"]
    claims = jwt_ctx["claims"]
    assert claims["cognito:groups"] == "[admin poweruser]"
    assert claims["email_verified"] == "true"
    assert claims["custom:n"] == "7"
    assert claims["nested"] == '{"a":1}'
    assert "gone" not in claims
    assert claims["exp"] == str(jwt.decode(token, options={"verify_signature": False})["exp"])
    assert all(isinstance(v, str) for v in claims.values())
    assert jwt_ctx["scopes"] is None
    assert resp.json()["event"]["headers"]["authorization"] == f"Bearer {token}"


def test_bearer_prefix_is_optional(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    token = mint(issuer, {"aud": "client-a"})
    resp = call(gateway, api.api_id, "GET", "/secure", headers={"Authorization": token})
    assert resp.status_code == 200


def test_missing_token_is_bare_bearer_challenge(gateway: GatewayProcess, api: Deployed) -> None:
    assert_unauthorized(call(gateway, api.api_id, "GET", "/secure"))
    assert_unauthorized(call(gateway, api.api_id, "GET", "/secure", headers={"Authorization": "Bearer "}))


def test_malformed_token_names_the_segments(gateway: GatewayProcess, api: Deployed) -> None:
    resp = call(gateway, api.api_id, "GET", "/secure", headers={"Authorization": "Bearer not-a-token"})
    assert_unauthorized(resp, "token contains an invalid number of segments")


def test_audience_rules(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    def status(claims: dict[str, Any]) -> int:
        return call(gateway, api.api_id, "GET", "/secure", token=mint(issuer, claims)).status_code

    assert status({"aud": "client-b"}) == 200
    assert status({"aud": ["zzz", "client-a"]}) == 200
    assert status({"client_id": "client-a"}) == 200  # access token: no aud, client_id matches
    assert status({"client_id": "client-x"}) == 401
    assert status({"aud": "client-x", "client_id": "client-a"}) == 401  # aud present: client_id is not consulted
    assert status({}) == 401
    resp = call(gateway, api.api_id, "GET", "/secure", token=mint(issuer, {"aud": "client-x"}))
    assert_unauthorized(resp, "the token does not have a valid audience")


def test_issuer_must_match_exactly(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    resp = call(gateway, api.api_id, "GET", "/secure", token=mint(issuer, {"aud": "client-a", "iss": MAIN + "/"}))
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["www-authenticate"]


def test_time_claims(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    now = int(time.time())

    def check(claims: dict[str, Any]) -> Any:
        return call(gateway, api.api_id, "GET", "/secure", token=mint(issuer, {"aud": "client-a", **claims}))

    expired = check({"exp": now - 5, "iat": now - 100})
    assert_unauthorized(expired, "the token has expired")
    assert check({"nbf": now + 60}).status_code == 401
    assert check({"iat": now + 60}).status_code == 401
    assert check({"exp": None}).status_code == 401
    assert check({"nbf": now - 1, "iat": now - 1, "exp": now + 30}).status_code == 200


def test_expired_token_on_a_scoped_route_names_the_route_scopes(
    gateway: GatewayProcess, api: Deployed, issuer: Any
) -> None:
    # As AWS answered an expired Cognito access token on a route with one scope (keitakn/go-cognito-lambda,
    # README.md, curl -v of 2020-10-22): the route's scope in `scope`, then AWS's own expiry text.
    token = mint(issuer, {"aud": "client-a", "scope": "read:items", "exp": int(time.time()) - 5})
    resp = call(gateway, api.api_id, "GET", "/one-scope", token=token)
    assert resp.status_code == 401
    assert resp.json() == UNAUTHORIZED
    assert resp.headers["www-authenticate"] == (
        'Bearer scope="read:items" error="invalid_token" error_description="the token has expired"'
    )


def test_only_rsa_algorithms(
    gateway: GatewayProcess, api: Deployed, issuer: Any, oidc: OidcServer, clients: dict[str, Any]
) -> None:
    # A JWK that names its alg (Cognito's do) pins it; without one, every RSA algorithm is accepted.
    assert (
        call(gateway, api.api_id, "GET", "/secure", token=mint(issuer, {"aud": "client-a"}, alg="RS384")).status_code
        == 401
    )
    other = oidc.issuers["other"]
    other.pin_alg = False
    free = deploy_api(clients, {"GET /s": {"auth": True}, "GET /open": {}}, issuer=OidcServer.issuer_id("other"))
    wait_routed(gateway, free.api_id, "GET", "/open", "GET /open")
    for alg in ("RS256", "RS384", "RS512", "PS256", "PS512"):
        resp = call(gateway, free.api_id, "GET", "/s", token=mint(other, {"aud": "client-a"}, alg=alg))
        assert resp.status_code == 200, alg
    hs = mint(issuer, {"aud": "client-a"}, alg="HS256", key="k" * 32)
    es = mint(issuer, {"aud": "client-a"}, alg="ES256", key=ec.generate_private_key(ec.SECP256R1()))
    unsigned = jwt.encode(
        {"iss": MAIN, "aud": "client-a", "exp": int(time.time()) + 60},
        "",  # PyJWT's "none" takes no key: None or ""
        algorithm="none",
        headers={"kid": "main-k1"},
    )
    for token in (hs, es, unsigned):
        resp = call(gateway, api.api_id, "GET", "/secure", token=token)
        assert resp.status_code == 401, token
    # AWS's text for an ES256 token (nksrules/lambda-hw, docs/decisions/0002-stage-2-api-gateway-jwt.md).
    assert_unauthorized(call(gateway, api.api_id, "GET", "/secure", token=es), "signing method ES256 is invalid")


def test_signature_and_kid(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = mint(issuer, {"aud": "client-a"}, key=stranger)  # right kid, wrong key
    resp = call(gateway, api.api_id, "GET", "/secure", token=forged)
    assert_unauthorized(resp, "crypto/rsa: verification error")
    head, _, sig = mint(issuer, {"aud": "client-a"}).split(".")
    tampered_body = jwt.utils.base64url_encode(
        json.dumps({"iss": MAIN, "aud": "client-a", "exp": int(time.time()) + 60, "sub": "admin"}).encode()
    ).decode()
    assert call(gateway, api.api_id, "GET", "/secure", token=f"{head}.{tampered_body}.{sig}").status_code == 401
    unknown_kid = mint(issuer, {"aud": "client-a"}, kid="nope", key=issuer.keys["main-k1"])
    assert call(gateway, api.api_id, "GET", "/secure", token=unknown_kid).status_code == 401
    no_kid = jwt.encode(
        {"iss": MAIN, "aud": "client-a", "exp": int(time.time()) + 60}, issuer.keys["main-k1"], algorithm="RS256"
    )
    assert call(gateway, api.api_id, "GET", "/secure", token=no_kid).status_code == 401


def test_scopes(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    ok = call(
        gateway, api.api_id, "GET", "/scoped", token=mint(issuer, {"aud": "client-a", "scope": "openid read:items"})
    )
    assert ok.status_code == 200
    assert ok.json()["event"]["requestContext"]["authorizer"]["jwt"]["scopes"] == ["openid", "read:items"]
    scp = call(gateway, api.api_id, "GET", "/scoped", token=mint(issuer, {"aud": "client-a", "scp": ["admin"]}))
    assert scp.status_code == 200
    denied = call(gateway, api.api_id, "GET", "/scoped", token=mint(issuer, {"aud": "client-a", "scope": "openid"}))
    assert denied.status_code == 403
    assert denied.json() == {"message": "Forbidden"}
    none = call(gateway, api.api_id, "GET", "/scoped", token=mint(issuer, {"aud": "client-a"}))
    assert none.status_code == 403
    # A bad token on a scoped route is still a 401 (authentication comes before scopes).
    bad = mint(issuer, {"aud": "x", "scope": "admin"})
    assert call(gateway, api.api_id, "GET", "/scoped", token=bad).status_code == 401
    # Unscoped route: scopes stay null even when the token carries some.
    unscoped = call(gateway, api.api_id, "GET", "/secure", token=mint(issuer, {"aud": "client-a", "scope": "admin"}))
    assert unscoped.json()["event"]["requestContext"]["authorizer"]["jwt"]["scopes"] is None


def test_dangling_authorizer_is_500(gateway: GatewayProcess, api: Deployed, issuer: Any) -> None:
    resp = call(gateway, api.api_id, "GET", "/dangling", token=mint(issuer, {"aud": "client-a"}))
    assert resp.status_code == 500
    assert resp.json() == {"message": "Internal Server Error"}


def test_rejected_requests_never_invoke_lambda(
    gateway: GatewayProcess, api: Deployed, issuer: Any, clients: dict[str, Any]
) -> None:
    rejected = {}
    cases: dict[str, dict[str, Any]] = {  # call()'s keyword arguments
        "missing": {},
        "malformed": {"headers": {"Authorization": "Bearer a.b"}},
        "audience": {"token": mint(issuer, {"aud": "client-x"})},
        "expired": {"token": mint(issuer, {"aud": "client-a", "exp": int(time.time()) - 1})},
    }
    for name, kwargs in cases.items():
        probe = f"rej-{name}-{uuid.uuid4().hex[:6]}"
        headers = {**kwargs.pop("headers", {}), "x-e2e-probe": probe}
        path = "/scoped" if name == "scope" else "/secure"
        assert call(gateway, api.api_id, "GET", path, headers=headers, **kwargs).status_code == 401
        rejected[name] = probe
    scope_probe = f"rej-scope-{uuid.uuid4().hex[:6]}"
    assert (
        call(
            gateway,
            api.api_id,
            "GET",
            "/scoped",
            headers={"x-e2e-probe": scope_probe},
            token=mint(issuer, {"aud": "client-a", "scope": "openid"}),
        ).status_code
        == 403
    )
    dangling_probe = f"rej-dangling-{uuid.uuid4().hex[:6]}"
    assert (
        call(
            gateway,
            api.api_id,
            "GET",
            "/dangling",
            headers={"x-e2e-probe": dangling_probe},
            token=mint(issuer, {"aud": "client-a"}),
        ).status_code
        == 500
    )
    # Two accepted requests as a barrier: the log shipper reads every stream file each round, so the round that
    # ships `first` read whatever the refused requests would have logged, and `second`, made after `first` was
    # seen, is shipped by a later round: once it shows, that earlier round has shipped all it read.
    token = mint(issuer, {"aud": "client-a"})
    for marker in (f"ok1-{uuid.uuid4().hex[:6]}", f"ok2-{uuid.uuid4().hex[:6]}"):
        assert (
            call(gateway, api.api_id, "GET", "/secure", headers={"x-e2e-probe": marker}, token=token).status_code == 200
        )

        def shipped(m: str = marker) -> set[str]:
            found = invoked_probes(clients, api.function)
            return found if m in found else set()

        probes = eventually(shipped)
    assert not ({*rejected.values(), scope_probe, dangling_probe} & probes)


def test_query_string_identity_source(gateway: GatewayProcess, clients: dict[str, Any], issuer: Any) -> None:
    deployed = deploy_api(clients, {"GET /q": {"auth": True}}, issuer=MAIN)
    clients["apigatewayv2"].update_authorizer(
        ApiId=deployed.api_id, AuthorizerId=deployed.authorizer_id, IdentitySource=["$request.querystring.access_token"]
    )
    token = mint(issuer, {"aud": "client-a"})
    # 200 only once the updated identity source is read: before, the token in the query string is not looked at.
    wait_routed(gateway, deployed.api_id, "GET", f"/q?access_token={token}", "GET /q")
    assert call(gateway, deployed.api_id, "GET", "/q", token=token).status_code == 401


def test_unreachable_or_oversized_jwks_refuses(
    gateway: GatewayProcess, clients: dict[str, Any], oidc: OidcServer
) -> None:
    oidc.issuers["slow"].delay_s = 2.0  # over the 1.5 s fetch bound
    oidc.issuers["huge"].pad_bytes = 160_000  # over the 150 kB JWKS bound
    for name in ("slow", "huge"):
        deployed = deploy_api(clients, {"GET /s": {"auth": True}, "GET /open": {}}, issuer=OidcServer.issuer_id(name))
        wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")
        resp = call(gateway, deployed.api_id, "GET", "/s", token=mint(oidc.issuers[name], {"aud": "client-a"}))
        # The description proves the refusal is the key set's, not a route or token problem.
        assert_unauthorized(resp, "unable to fetch the signing keys of the issuer")


def test_cognito_tokens_via_issuer_mapping(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    idp = clients["cognito-idp"]
    pool = idp.create_user_pool(PoolName=f"gw-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="alice", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password="Str0ng#Passw0rd!", Permanent=True)
    tokens = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Str0ng#Passw0rd!"},
    )
    result = tokens["AuthenticationResult"]
    deployed = deploy_api(
        clients,
        {"GET /me": {"auth": True}, "GET /open": {}},
        issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
        audience=[client_id],
    )
    wait_routed(gateway, deployed.api_id, "GET", "/open", "GET /open")
    id_resp = call(gateway, deployed.api_id, "GET", "/me", token=result["IdToken"])
    assert id_resp.status_code == 200, id_resp.text
    assert id_resp.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:username"] == "alice"
    assert call(gateway, deployed.api_id, "GET", "/me", token=result["AccessToken"]).status_code == 200
