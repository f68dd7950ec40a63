"""REFRESH_TOKEN_AUTH for deleted, disabled, foreign, unknown and expired tokens answers NotAuthorizedException."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from twin.controlplane.oidc import find_pool
from twin.controlplane.patches import tokens


def _refresh(idp, pool, token, admin=False, client_id=None):
    params = {"REFRESH_TOKEN": token}
    if admin:
        return idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=client_id or pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters=params,
        )
    return idp.initiate_auth(ClientId=client_id or pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params)


def _refused(call, message):
    with pytest.raises(ClientError) as exc:
        call()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert exc.value.response["Error"]["Message"] == message


@pytest.mark.parametrize("admin", [False, True])
def test_deleted_user_cannot_refresh(idp, make_pool, sign_in, admin):
    pool = make_pool()
    token = sign_in(pool)["RefreshToken"]
    idp.admin_delete_user(UserPoolId=pool.id, Username=pool.username)
    _refused(lambda: _refresh(idp, pool, token, admin), "User does not exist.")


@pytest.mark.parametrize("admin", [False, True])
def test_disabled_user_cannot_refresh_until_enabled(idp, make_pool, sign_in, admin):
    pool = make_pool()
    token = sign_in(pool)["RefreshToken"]
    idp.admin_disable_user(UserPoolId=pool.id, Username=pool.username)
    _refused(lambda: _refresh(idp, pool, token, admin), "User is disabled.")
    idp.admin_enable_user(UserPoolId=pool.id, Username=pool.username)
    assert "AccessToken" in _refresh(idp, pool, token, admin)["AuthenticationResult"]


@pytest.mark.parametrize("admin", [False, True])
def test_unknown_token_is_invalid_not_a_server_error(idp, make_pool, admin):
    pool = make_pool()
    # AWS ends this message with a period (aws/aws-sdk-cpp#1789 logs the raw body).
    _refused(lambda: _refresh(idp, pool, "bogus", admin), "Invalid Refresh Token.")


@pytest.mark.parametrize("admin", [False, True])
def test_token_of_another_client_is_refused(idp, make_pool, sign_in, admin):
    pool = make_pool()
    other = idp.create_user_pool_client(
        UserPoolId=pool.id, ClientName="other", ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    token = sign_in(pool)["RefreshToken"]
    # The wording AWS has used since January 2022 (aws/aws-sdk-js#4016, aws-amplify/amplify-js#9502).
    _refused(lambda: _refresh(idp, pool, token, admin, client_id=other), "Refresh Token has different Client")


def test_global_sign_out_revokes(idp, make_pool, sign_in):
    pool = make_pool()
    token = sign_in(pool)["RefreshToken"]
    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=pool.username)
    _refused(lambda: _refresh(idp, pool, token, admin=True), "Refresh Token has been revoked")


def test_expired_refresh_token_is_refused(idp, make_pool, sign_in):
    pool = make_pool(RefreshTokenValidity=60, TokenValidityUnits={"RefreshToken": "minutes"})
    token = sign_in(pool)["RefreshToken"]
    found = find_pool(pool.id)
    assert found is not None
    expiry = tokens.refresh_expiry(found, token)
    assert expiry is not None and 3590 <= expiry - time.time() <= 3600
    # Waiting an hour is not an option: move the recorded expiry into the past instead.
    vars(found)["_twin_refresh_expiry"][token] = time.time() - 1
    _refused(lambda: _refresh(idp, pool, token), "Refresh Token has expired")
