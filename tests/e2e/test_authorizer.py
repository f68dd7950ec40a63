"""JWT authorizer: every route is public or protected (default deny), valid Cognito tokens are
accepted and their claims reach the Lambda, and every bad credential gets 401 without invoking it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import allure
import pytest

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.forge import CASE_NAMES
from fixtures.posture.verdict import fail, fail_on
from fixtures.reject_round import MISSING_CASES, UNPROVEN, RejectRound, body_for, concrete
from fixtures.routes import deployed_routes
from fixtures.users import CognitoUsers, TestUser

pytestmark = pytest.mark.authorizer

TOKEN_KINDS = ("id_token", "access_token")


@pytest.fixture(scope="session")
def routes(env_config: EnvConfig, aws_client: Callable[[str], Any]) -> list[Any]:
    return deployed_routes(aws_client("apigatewayv2"), env_config.api.api_id)


@allure.title("Every deployed route is listed as public or protected (default deny)")
def test_every_deployed_route_is_listed(env_config: EnvConfig, routes: list[Any]) -> None:
    listed = set(env_config.api.public_routes) | set(env_config.api.protected_routes)
    unlisted = sorted(r.key for r in routes if r.key not in listed)
    if unlisted:
        fail(
            f"routes {unlisted} are deployed but listed neither in [api] public_routes nor protected_routes: "
            "delete them from the API or add each to one list (anything unlisted is denied)"
        )
    missing = sorted(listed - {r.key for r in routes})
    if missing:
        fail(f"routes {missing} are listed in the env file but not deployed: deploy them or remove them from the list")


@allure.title("Every protected route uses the Cognito JWT authorizer")
def test_protected_routes_use_the_jwt_authorizer(
    env_config: EnvConfig, routes: list[Any], aws_client: Callable[[str], Any]
) -> None:
    apigw = aws_client("apigatewayv2")
    by_key = {r.key: r for r in routes}
    problems = []
    for key in env_config.api.protected_routes:
        route = by_key.get(key)
        if route is None:
            continue  # reported by test_every_deployed_route_is_listed
        if route.authorization_type != "JWT" or not route.authorizer_id:
            problems.append(f"{key} has authorization {route.authorization_type}: attach the JWT authorizer")
            continue
        expected_scopes = sorted(env_config.api.scoped_routes.get(key, []))
        if sorted(route.scopes) != expected_scopes:
            problems.append(
                f"{key} requires scopes {sorted(route.scopes)} but the env file declares {expected_scopes} "
                "([api] scoped_routes); Cognito API sign-in tokens carry only aws.cognito.signin.user.admin"
            )
        authorizer = apigw.get_authorizer(ApiId=env_config.api.api_id, AuthorizerId=route.authorizer_id)
        jwt_config = authorizer.get("JwtConfiguration", {})
        if jwt_config.get("Issuer", "").rstrip("/") != env_config.issuer:
            problems.append(
                f"{key}: authorizer issuer is {jwt_config.get('Issuer')!r}, not the pool's {env_config.issuer!r}"
            )
        audience = set(jwt_config.get("Audience", []))
        # Every app client the env file names may be trusted: the web client, the expiry probe and the
        # machine-to-machine client whose tokens open the scoped routes.
        cognito = env_config.cognito
        named = {c for c in (cognito.client_id, cognito.expiry_client_id, cognito.m2m_client_id) if c}
        if env_config.cognito.client_id not in audience:
            problems.append(f"{key}: authorizer audience lacks the app client {env_config.cognito.client_id}")
        if audience - named:
            problems.append(
                f"{key}: authorizer audience also trusts app clients {sorted(audience - named)} that the env file "
                "does not name (remove them, or name them in [cognito]: client_id, expiry_client_id, m2m_client_id)"
            )
        source = authorizer.get("IdentitySource", [])
        if source != ["$request.header.Authorization"]:
            problems.append(f"{key}: identity source is {source}, not ['$request.header.Authorization']")
    if problems:
        fail("protected routes are not guarded by the Cognito JWT authorizer: " + "; ".join(problems))


@allure.title("Public routes answer without a token")
def test_public_routes_answer_without_token(env_config: EnvConfig, api_client: ApiClient) -> None:
    if not env_config.api.public_routes:
        pytest.skip("the env file lists no public routes")
    findings: list[str] = []
    for key in env_config.api.public_routes:
        method, path = concrete(key, {})
        status = api_client.request(method, path).status_code
        if status in (401, 403) or status >= 500:
            findings.append(
                f"public route {key} answered {status} without a token: remove its authorizer or fix the integration"
            )
    fail_on(findings)


@allure.title("A valid {kind} is accepted on every protected route")
@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_valid_token_accepted_on_every_protected_route(
    kind: str,
    env_config: EnvConfig,
    api_client: ApiClient,
    test_user: TestUser,
    protected_requests: list[tuple[str, str, str]],
) -> None:
    token = getattr(test_user.tokens(), kind)
    refused = {}
    for key, method, path in protected_requests:
        if key in env_config.api.scoped_routes:
            continue  # sign-in tokens lack custom scopes: test_scoped_routes_forbid_tokens_without_scope
        status = api_client.request(method, path, token=token, json=body_for(method, env_config)).status_code
        if status in (401, 403):
            refused[key] = status
    if refused:
        fail(
            f"a valid Cognito {kind.replace('_', ' ')} was refused on {refused}: the authorizer's issuer must be "
            f"{env_config.issuer} and its audience must include {env_config.cognito.client_id}"
        )


@allure.title("Tokens from a refresh are accepted (REFRESH_TOKEN_AUTH, or GetTokensFromRefreshToken with rotation)")
def test_refreshed_tokens_are_accepted(
    env_config: EnvConfig,
    api_client: ApiClient,
    test_user: TestUser,
    cognito_users: CognitoUsers,
    control_route: tuple[str, str],
) -> None:
    if "ALLOW_REFRESH_TOKEN_AUTH" not in env_config.cognito.allowed_auth_flows:
        pytest.skip("the env file's allowed_auth_flows has no ALLOW_REFRESH_TOKEN_AUTH: the app refreshes nothing")
    # A session of its own: with rotation, refreshing the shared tokens would retire their refresh token.
    refreshed = cognito_users.refresh(test_user.sign_in_fresh())
    method, path = control_route
    status = api_client.request(method, path, token=refreshed.access_token).status_code
    if status != 200:
        fail(
            f"an access token from a token refresh got {status} on {method} {path}: the authorizer must accept "
            f"every token the pool issues to {env_config.cognito.client_id}"
        )


@allure.title("The {kind}'s claims reach the Lambda (GET /me)")
@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_claims_reach_the_lambda(kind: str, env_config: EnvConfig, api_client: ApiClient, test_user: TestUser) -> None:
    if "GET /me" not in env_config.api.protected_routes or "GET /me" in env_config.api.scoped_routes:
        pytest.skip("the env file lists no unscoped GET /me route (the reference API's claims echo)")
    response = api_client.request("GET", "/me", token=getattr(test_user.tokens(), kind))
    if response.status_code != 200:
        fail(f"GET /me with a valid {kind} answered {response.status_code}, expected 200: check the authorizer")
    body = response.json()
    expected = {"sub": test_user.sub, "username": test_user.username, "token_use": kind.split("_")[0]}
    wrong = {k: (body.get(k), v) for k, v in expected.items() if body.get(k) != v}
    if wrong:
        fail(
            f"claims that reached the Lambda differ from the token's (got, expected): {wrong}: the integration "
            "must use payload format 2.0 and read requestContext.authorizer.jwt.claims"
        )


@allure.title("Rejected: {case}")
@pytest.mark.parametrize("case", [c.name for c in MISSING_CASES] + list(CASE_NAMES))
def test_bad_credential_rejected_without_invoking_lambda(case: str, reject_round: RejectRound) -> None:
    outcome = reject_round.outcomes.get(case)
    if outcome is None:
        pytest.skip(f"case {case} does not apply here (e.g. the sign-in returned no refresh token)")
    allure.dynamic.description(f"Attack: {outcome.case.attack}")
    allure.attach(
        "\n".join(f"{route}: {status}" for route, status in outcome.statuses.items()),
        name="status per protected route",
        attachment_type=allure.attachment_type.TEXT,
    )
    accepted = {route: status for route, status in outcome.statuses.items() if status != 401}
    if accepted:
        fail(
            f"{outcome.case.attack}: routes answered {accepted} instead of 401: the route must use the JWT "
            "authorizer (RSA keys from the pool's JWKS only)"
        )
    if not reject_round.control_seen:
        if reject_round.control_status in (401, 403):
            fail(
                f"the control request with a valid token got {reject_round.control_status}, so 'the Lambda was not "
                "invoked' cannot be proven: fix the valid-token failures first"
            )
        fail(
            f"the control request (status {reject_round.control_status}) never appeared in {reject_round.log_group} "
            + UNPROVEN.format(claim="'the Lambda was not invoked'")
        )
    if outcome.invoked:
        fail(
            f"{outcome.case.attack}: the Lambda was invoked for {outcome.invoked} although API Gateway answered "
            "401: something other than the authorizer forwards these requests"
        )
