"""Cognito user pool and app client posture (Prowler's cognito checks plus what a browser client needs).

The clients checked in full are the ones the env file names ([cognito] client_id, expiry_client_id);
every other client of the pool is still checked for the implicit grant and its redirect URLs, since a
forgotten client is as good a way in as the main one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import allure
import pytest

from fixtures.config import EnvConfig
from fixtures.posture.cognito import client_findings, pool_findings, redirect_findings
from fixtures.posture.expect import client_expectation, named_clients, pool_expectation, redirect_expectation
from fixtures.posture.verdict import fail_on

pytestmark = pytest.mark.cognito

MAX_CLIENT_PAGES = 20


@pytest.fixture(scope="module")
def idp(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("cognito-idp")


def describe_client(idp: Any, pool_id: str, client_id: str) -> dict[str, Any] | None:
    """The app client's description, or None when the pool has no such client (see `missing_client`)."""
    try:
        return idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except idp.exceptions.ResourceNotFoundException:
        return None


def missing_client(pool_id: str, client_id: str) -> str:
    return (
        f"app client {client_id} from the env file does not exist in user pool {pool_id}; "
        "fix [cognito] in the env file."
    )


@allure.title("The env file's app clients are configured for a browser app")
def test_named_app_clients(env_config: EnvConfig, idp: Any) -> None:
    """No secret, no implicit grant, https callbacks, exactly the expected auth flows, access/id tokens
    valid at most a day, refresh bounded, PreventUserExistenceErrors and token revocation on."""
    pool_id = env_config.cognito.user_pool_id
    expect = client_expectation(env_config)
    findings: list[str] = []
    for client_id in named_clients(env_config):
        client = describe_client(idp, pool_id, client_id)
        findings += [missing_client(pool_id, client_id)] if client is None else client_findings(client, expect)
    fail_on(findings)


@allure.title("No app client of the pool allows the implicit grant or redirects unsafely")
def test_every_app_client_redirects_safely(env_config: EnvConfig, idp: Any) -> None:
    """No client in the pool allows the implicit grant or redirects to non-https, unexpected local or foreign-host
    URLs (hosts outside the app's origins and [cognito] redirect_hosts)."""
    pool_id = env_config.cognito.user_pool_id
    ids: list[str] = []
    kwargs: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
    for _ in range(MAX_CLIENT_PAGES):
        page = idp.list_user_pool_clients(**kwargs)
        ids += [c["ClientId"] for c in page.get("UserPoolClients", [])]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    expect = redirect_expectation(env_config)
    findings: list[str] = []
    for cid in ids:
        client = describe_client(idp, pool_id, cid)
        findings += [missing_client(pool_id, cid)] if client is None else redirect_findings(client, expect)
    fail_on(findings)


@allure.title("The user pool's password, sign-up and deletion policies are as the env file says")
def test_user_pool_policies(env_config: EnvConfig, idp: Any) -> None:
    """Password length and classes as the env requires, temporary passwords short-lived, self sign-up as
    the env says, and deletion protection in a protected environment."""
    pool = idp.describe_user_pool(UserPoolId=env_config.cognito.user_pool_id)["UserPool"]
    fail_on(pool_findings(pool, pool_expectation(env_config)))
