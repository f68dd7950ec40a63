"""Scoped routes ([api] scoped_routes): a token that carries a required scope opens the route, a token that
lacks every one of them gets 403.

Tokens with custom scopes come from the env's machine-to-machine client (`[cognito] m2m_client_id`, client
credentials at the pool's token endpoint: `fixtures.oauth`); tokens without them are the test user's access
token (API sign-in tokens carry only aws.cognito.signin.user.admin) and, where the M2M client may obtain
other scopes too, a client-credentials token of only those.

What the 403 must look like rests on what AWS documents or was captured, so a correct deployment cannot fail:
the status (documented: "A valid token that carries none of the method's scopes receives a 403 Forbidden
response"), API Gateway's body `{"message":"Forbidden"}`, and, when a `www-authenticate` header is sent, a
Bearer challenge that does not call the token invalid (RFC 6750 3.1; every captured API Gateway challenge is
`Bearer ...`). The twin's `error="insufficient_scope"` wording is unconfirmed (twin/gateway/README.md) and is
not asserted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import allure
import pytest
import requests

from fixtures.api import ApiClient
from fixtures.config import ConfigError, EnvConfig
from fixtures.oauth import ClientCredentials, TokenRequestError
from fixtures.oidc import unverified_claims
from fixtures.posture.verdict import fail, fail_on, skip_if_denied
from fixtures.reject_round import body_for, concrete
from fixtures.users import TestUser

pytestmark = pytest.mark.authorizer
FORBIDDEN_BODY = {"message": "Forbidden"}
DESCRIBE = "read the M2M app client (cognito-idp:DescribeUserPoolClient)"


def machine_client(env_config: EnvConfig, aws_client: Callable[[str], Any]) -> ClientCredentials | None:
    """The env's M2M client, described (secret in memory); None without [cognito] m2m_client_id."""
    if not env_config.cognito.m2m_client_id:
        return None
    try:
        credentials = ClientCredentials(aws_client("cognito-idp"), env_config)
    except ConfigError as exc:
        fail(str(exc))
    with skip_if_denied(DESCRIBE):
        credentials.client()
    return credentials


def forbidden_problem(response: requests.Response) -> str | None:
    """What differs from the documented 403 for a token without the route's scopes, or None."""
    if response.status_code != 403:
        return f"answered {response.status_code}"
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if body != FORBIDDEN_BODY:
        return f"answered 403 with a body other than {FORBIDDEN_BODY} (something other than the JWT authorizer refused)"
    challenge = response.headers.get("www-authenticate")
    if challenge is not None and (not challenge.startswith("Bearer") or 'error="invalid_token"' in challenge):
        return f"answered 403 with www-authenticate {challenge!r}, not a Bearer challenge about scopes"
    return None


def _fix_for(status_text: str) -> str:
    if status_text.startswith("answered 401"):
        return "the authorizer refused the token itself: check its issuer and audience"
    if status_text.startswith("answered 403"):
        return "the answer must come from the route's JWT authorizer"
    return "set the route's authorization scopes in API Gateway (Routes > route > Authorization scopes)"


@allure.title("Scoped routes accept a token that carries a required scope")
def test_scoped_routes_accept_tokens_with_scope(
    env_config: EnvConfig, api_client: ApiClient, aws_client: Callable[[str], Any], path_values: dict[str, str]
) -> None:
    if not env_config.api.scoped_routes:
        pytest.skip("the env file declares no [api] scoped_routes")
    credentials = machine_client(env_config, aws_client)
    if credentials is None:
        pytest.skip(
            "the env file sets no [cognito] m2m_client_id: no client can obtain the routes' custom scopes, "
            "so only their refusal of tokens without them is checked"
        )
    client = credentials.client()
    if "client_credentials" not in client.allowed_flows:
        fail(
            f"[cognito] m2m_client_id {client.client_id} does not allow the client_credentials flow "
            "(App clients > the client > OAuth grant types): enable it"
        )
    findings: list[str] = []
    seen: list[str] = []
    for key, scopes in env_config.api.scoped_routes.items():
        method, path = concrete(key, path_values)
        obtainable = [scope for scope in scopes if scope in client.allowed_scopes]
        if not obtainable:
            findings.append(
                f"{key} requires one of {sorted(scopes)} and the M2M client {client.client_id} may obtain none of "
                f"them (AllowedOAuthScopes {sorted(client.allowed_scopes)}): allow one to the client, or correct "
                "[api] scoped_routes"
            )
            continue
        for scope in obtainable:
            try:
                token = credentials.token([scope])
            except TokenRequestError as exc:
                findings.append(f"{key}: {exc}: the resource server must define {scope} and allow it to the client")
                continue
            if scope not in token.scopes:
                findings.append(
                    f"{key}: a token asked for {scope} carries scope {list(token.scopes)}: "
                    "check the resource server's scopes"
                )
                continue
            status = api_client.request(
                method, path, token=token.access_token, json=body_for(method, env_config)
            ).status_code
            seen.append(f"{key} with scope {scope}: {status}")
            if status == 401:
                findings.append(
                    f"{key} answered 401 to a client-credentials token with scope {scope}: add the M2M client "
                    f"{client.client_id} ([cognito] m2m_client_id) to the authorizer's audience"
                )
            elif status == 403:
                findings.append(
                    f"{key} answered 403 to a token carrying {scope}: the route's authorization scopes must include "
                    "the scopes [api] scoped_routes names for it"
                )
    allure.attach(
        "\n".join(seen) or "no request sent",
        name="status per scoped route and scope",
        attachment_type=allure.attachment_type.TEXT,
    )
    fail_on(findings)


@allure.title("Scoped routes refuse tokens without the scope (403)")
def test_scoped_routes_forbid_tokens_without_scope(
    env_config: EnvConfig,
    test_user: TestUser,
    api_client: ApiClient,
    aws_client: Callable[[str], Any],
    path_values: dict[str, str],
) -> None:
    """Every scoped route answers 403 `{"message":"Forbidden"}` to the user's access token (only
    aws.cognito.signin.user.admin, aws-semantics 4.1) and to an M2M token of the client's other scopes."""
    if not env_config.api.scoped_routes:
        pytest.skip("the env file declares no [api] scoped_routes")
    user_token = test_user.tokens().access_token
    user_scopes = set(str(unverified_claims(user_token).get("scope", "")).split())
    credentials = machine_client(env_config, aws_client)
    findings: list[str] = []
    seen: list[str] = []
    for key, scopes in env_config.api.scoped_routes.items():
        method, path = concrete(key, path_values)
        lacking: list[tuple[str, str]] = []
        if not user_scopes & set(scopes):
            lacking.append(("the test user's access token", user_token))
        if credentials is not None:
            others = [s for s in credentials.client().allowed_scopes if s not in scopes and "/" in s]
            if others:  # custom scopes only: client credentials cannot ask for openid, email, ...
                try:
                    m2m = credentials.token(others)
                    lacking.append((f"an M2M token with scope {' '.join(m2m.scopes)}", m2m.access_token))
                except TokenRequestError as exc:
                    findings.append(f"{key}: {exc}: the resource server must define every scope the client is allowed")
        for label, bearer in lacking:
            response = api_client.request(method, path, token=bearer, json=body_for(method, env_config))
            seen.append(
                f"{key}, {label}: {response.status_code} www-authenticate={response.headers.get('www-authenticate')!r}"
            )
            problem = forbidden_problem(response)
            if problem:
                findings.append(
                    f"{key} (requires {sorted(scopes)}) {problem} to {label}, expected 403 "
                    f"{FORBIDDEN_BODY}: {_fix_for(problem)}"
                )
    if not seen and not findings:
        pytest.skip("no token lacks the scoped routes' scopes: each requires a scope the test user's token carries")
    allure.attach(
        "\n".join(seen), name="answers to tokens without the scope", attachment_type=allure.attachment_type.TEXT
    )
    fail_on(findings)
