"""Provisioning with an issuer type: the pool's IssuerConfiguration, the authorizer's matching issuer and the env
file's `[cognito] issuer_type`; a run with the other type moves both and keeps every id. Tests run in order."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from twin.provision import Stack, env_file_text, names, provision

ISSUERS = {
    "ORIGINAL": "https://cognito-idp.us-east-1.amazonaws.com/{}",
    "UPDATED": "https://issuer-cognito-idp.us-east-1.amazonaws.com/{}",
}


@pytest.fixture(scope="module")
def run(control_url: str) -> Callable[..., Stack]:
    def again(**kwargs: Any) -> Stack:
        return provision(control_url, db_host="127.0.0.1", db_port=20100, db_app_password="Issuer#Passw0rd-1", **kwargs)

    return again


def _observed(aws: Callable[[str], Any], stack: Stack) -> tuple[str, str, str]:
    """(pool's issuer type, authorizer's issuer, env file's issuer_type)."""
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=stack.user_pool_id)["UserPool"]
    authorizer = aws("apigatewayv2").get_authorizer(ApiId=stack.api_id, AuthorizerId=stack.authorizer_id)
    env = tomllib.loads(env_file_text(stack, "http://127.0.0.1:1", "http://127.0.0.1:2"))
    return pool["IssuerConfiguration"]["Type"], authorizer["JwtConfiguration"]["Issuer"], env["cognito"]["issuer_type"]


def test_the_default_is_original(aws: Callable[[str], Any], run: Callable[..., Stack]) -> None:
    stack = run()
    assert names.DEFAULT_ISSUER_TYPE == "ORIGINAL"
    assert stack.issuer_type == "ORIGINAL"
    assert stack.issuer == ISSUERS["ORIGINAL"].format(stack.user_pool_id)
    assert _observed(aws, stack) == ("ORIGINAL", stack.issuer, "ORIGINAL")


def test_updated_moves_the_pool_and_the_authorizer_and_keeps_the_ids(
    aws: Callable[[str], Any], run: Callable[..., Stack]
) -> None:
    before = run()
    moved = run(issuer_type="UPDATED")
    assert moved.issuer == ISSUERS["UPDATED"].format(before.user_pool_id)
    assert (moved.user_pool_id, moved.authorizer_id, moved.client_id) == (
        before.user_pool_id,
        before.authorizer_id,
        before.client_id,
    )
    assert _observed(aws, moved) == ("UPDATED", moved.issuer, "UPDATED")
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=moved.user_pool_id)["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == names.PASSWORD_MIN_LENGTH, "settings kept"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    audience = aws("apigatewayv2").get_authorizer(ApiId=moved.api_id, AuthorizerId=moved.authorizer_id)[
        "JwtConfiguration"
    ]["Audience"]
    assert sorted(audience) == sorted([moved.client_id, moved.expiry_client_id, moved.m2m_client_id])
    # The identity pool's provider name keeps the documented original form.
    providers = aws("cognito-identity").describe_identity_pool(IdentityPoolId=moved.identity_pool_id)[
        "CognitoIdentityProviders"
    ]
    assert [p["ProviderName"] for p in providers] == [f"cognito-idp.us-east-1.amazonaws.com/{moved.user_pool_id}"]


def test_a_second_updated_run_changes_nothing_and_original_moves_back(
    aws: Callable[[str], Any], run: Callable[..., Stack]
) -> None:
    first = run(issuer_type="UPDATED")
    assert run(issuer_type="UPDATED") == first
    back = run(issuer_type="ORIGINAL")
    assert _observed(aws, back) == ("ORIGINAL", ISSUERS["ORIGINAL"].format(back.user_pool_id), "ORIGINAL")


def test_an_unknown_type_is_refused_before_any_call(control_url: str) -> None:
    with pytest.raises(ValueError, match="issuer type must be one of ORIGINAL, UPDATED"):
        provision(control_url, db_host="127.0.0.1", db_port=1, db_app_password="x", issuer_type="GLOBAL")
