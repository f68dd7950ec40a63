"""JWT authorizer against real Cognito tokens it must not trust (another app client, another user
pool), and a deleted user's token (AWS semantics: still valid until exp). Scoped routes: test_authorizer_scopes.py."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import allure
import pytest
from botocore.exceptions import ClientError

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.harness import Harness
from fixtures.janitor import foreign_name
from fixtures.posture.verdict import fail, fail_on, skip_if_denied
from fixtures.signin import Tokens, sign_in
from fixtures.users import CognitoUsers, TestUser, make_password

pytestmark = pytest.mark.authorizer
FLOWS = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture
def may_create_resources(env_config: EnvConfig, pytestconfig: pytest.Config) -> None:
    if env_config.env.protected and not pytestconfig.getoption("allow_protected"):
        pytest.skip("protected environment: temporary Cognito resources are not created without --allow-protected")


@pytest.fixture
def other_client_id(
    env_config: EnvConfig, aws_client: Callable[[str], Any], harness: Harness, may_create_resources: None
) -> Iterator[str]:
    """A temporary second app client of the same pool, deleted afterwards."""
    idp = aws_client("cognito-idp")
    pool = env_config.cognito.user_pool_id
    with skip_if_denied("create app clients (cognito-idp:CreateUserPoolClient)"):
        client = idp.create_user_pool_client(
            UserPoolId=pool, ClientName=foreign_name(harness.run_id), ExplicitAuthFlows=FLOWS
        )["UserPoolClient"]
    yield client["ClientId"]
    with contextlib.suppress(ClientError):
        idp.delete_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])


@pytest.fixture
def other_pool_tokens(
    aws_client: Callable[[str], Any], harness: Harness, may_create_resources: None
) -> Iterator[Tokens]:
    """Tokens of a user in a temporary second user pool, deleted afterwards."""
    idp = aws_client("cognito-idp")
    with skip_if_denied("create user pools (cognito-idp:CreateUserPool)"):
        pool = idp.create_user_pool(PoolName=foreign_name(harness.run_id))["UserPool"]["Id"]
    try:
        username, password = f"e2e-{harness.run_id}-foreign", make_password(16)
        with skip_if_denied("create app clients (cognito-idp:CreateUserPoolClient)"):
            client = idp.create_user_pool_client(UserPoolId=pool, ClientName="e2e-foreign", ExplicitAuthFlows=FLOWS)
        client_id = client["UserPoolClient"]["ClientId"]
        with skip_if_denied("create users (cognito-idp:AdminCreateUser)"):
            idp.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
        with skip_if_denied("set passwords (cognito-idp:AdminSetUserPassword)"):
            idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
        with skip_if_denied("sign users in (cognito-idp:AdminInitiateAuth)"):
            tokens = sign_in(idp, pool, client_id, username, password)
        yield tokens
    finally:
        with contextlib.suppress(ClientError):
            idp.delete_user_pool(UserPoolId=pool)


@allure.title("A token from another app client of the same pool is rejected")
def test_token_of_another_app_client_rejected(
    other_client_id: str, test_user: TestUser, api_client: ApiClient, control_route: tuple[str, str]
) -> None:
    with skip_if_denied("sign in with another app client (cognito-idp:AdminInitiateAuth)"):
        tokens = test_user.sign_in_fresh(flow="admin", client_id=other_client_id)  # the flow FLOWS allows
    method, path = control_route
    findings: list[str] = []
    for kind in ("id_token", "access_token"):
        status = api_client.request(method, path, token=getattr(tokens, kind)).status_code
        if status != 401:
            findings.append(
                f"an {kind.replace('_', ' ')} issued to another app client of the pool got {status}, expected 401: "
                "the authorizer's audience must list only the app clients meant to call this API"
            )
    fail_on(findings)


@allure.title("A token from another user pool is rejected")
def test_token_of_another_user_pool_rejected(
    other_pool_tokens: Tokens, api_client: ApiClient, control_route: tuple[str, str]
) -> None:
    method, path = control_route
    findings: list[str] = []
    for kind in ("id_token", "access_token"):
        status = api_client.request(method, path, token=getattr(other_pool_tokens, kind)).status_code
        if status != 401:
            findings.append(
                f"an {kind.replace('_', ' ')} from another user pool got {status}, expected 401: the authorizer's "
                "issuer must be exactly this pool's issuer URL"
            )
    fail_on(findings)


@allure.title("A deleted user's token stays valid until it expires (AWS semantics)")
def test_deleted_user_token_accepted_until_expiry(
    cognito_users: CognitoUsers, api_client: ApiClient, control_route: tuple[str, str]
) -> None:
    """API Gateway's JWT authorizer checks signature and claims only; it never asks Cognito whether
    the user still exists or the token was revoked (aws-semantics 1.7: revoked tokens stay valid for
    any JWT verifier until exp). A deployment that needs immediate cut-off must keep token validity
    short or check revocation in the Lambda. This check documents that behaviour by asserting it."""
    user = cognito_users.create("deleted")
    tokens = user.tokens()
    cognito_users.delete(user)
    method, path = control_route
    status = api_client.request(method, path, token=tokens.access_token).status_code
    allure.dynamic.parameter("status after delete", status, excluded=True)
    if status != 200:
        fail(
            f"a deleted user's unexpired access token got {status}; API Gateway JWT authorizers accept it until "
            "exp (200): if this stack rejects it, something other than a JWT authorizer guards the route"
        )
