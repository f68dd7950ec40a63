"""Refresh-token rotation: the client setting, GetTokensFromRefreshToken with and without rotation, the grace
period and RefreshTokenReuseException, the inherited lifetime, and REFRESH_TOKEN_AUTH refused while it is on."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from moto.cognitoidp.models import cognitoidp_backends

from tests.twin.controlplane.conftest import ALL_FLOWS, REGION
from tests.twin.support import secret_hash
from twin.controlplane.patches import tokens

ACCOUNT = "123456789012"
ROTATING_FLOWS = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
REUSED = ("RefreshTokenReuseException", "Refresh token has been invalidated by refresh token rotation.")


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def _rotating(make_pool: Any, grace: int = 0, flows: list[str] | None = None, **settings: Any) -> Any:
    return make_pool(
        flows=flows or ROTATING_FLOWS,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": grace},
        **settings,
    )


def _describe(idp: Any, pool: Any) -> dict[str, Any]:
    return idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id)["UserPoolClient"]


def _renew(idp: Any, pool: Any, token: str, **extra: Any) -> dict[str, Any]:
    return idp.get_tokens_from_refresh_token(RefreshToken=token, ClientId=pool.client_id, **extra)[
        "AuthenticationResult"
    ]


def _moto_pool(pool_id: str) -> Any:
    return cognitoidp_backends[ACCOUNT][REGION].user_pools[pool_id]


# --- the setting --------------------------------------------------------------------------------------------


def test_a_client_without_the_setting_describes_it_disabled(idp, make_pool):
    assert _describe(idp, make_pool())["RefreshTokenRotation"] == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}


def test_the_setting_round_trips(idp, make_pool):
    pool = _rotating(make_pool, grace=30)
    assert _describe(idp, pool)["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 30}
    idp.update_user_pool_client(
        UserPoolId=pool.id, ClientId=pool.client_id, RefreshTokenRotation={"Feature": "DISABLED"}
    )
    assert _describe(idp, pool)["RefreshTokenRotation"] == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"Feature": "ON"},
            "1 validation error detected: Value 'ON' at 'refreshTokenRotation.feature' failed to satisfy "
            "constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
        ),
        (
            {"Feature": "ENABLED", "RetryGracePeriodSeconds": 61},
            "1 validation error detected: Value '61' at 'refreshTokenRotation.retryGracePeriodSeconds' "
            "failed to satisfy constraint: Member must have value less than or equal to 60",
        ),
    ],
)
def test_bad_settings_are_refused(idp, make_pool, setting, message):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.create_user_pool_client(
            UserPoolId=pool.id, ClientName=f"c-{uuid.uuid4().hex[:6]}", RefreshTokenRotation=setting
        )
    assert _error(exc) == ("InvalidParameterException", message)
    with pytest.raises(ClientError) as exc:
        idp.update_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id, RefreshTokenRotation=setting)
    assert _error(exc) == ("InvalidParameterException", message)
    assert _describe(idp, pool)["RefreshTokenRotation"]["Feature"] == "DISABLED"


# --- with rotation ------------------------------------------------------------------------------------------


def test_each_renewal_gives_a_new_refresh_token_and_the_old_one_is_refused(idp, make_pool, sign_in):
    pool = _rotating(make_pool)
    first = sign_in(pool)
    renewed = _renew(idp, pool, first["RefreshToken"])
    assert {"IdToken", "AccessToken", "RefreshToken", "ExpiresIn", "TokenType"} <= set(renewed)
    assert renewed["RefreshToken"] != first["RefreshToken"]
    claims = jwt.decode(renewed["IdToken"], options={"verify_signature": False})
    assert claims["sub"] == pool.sub
    assert claims["auth_time"] == jwt.decode(first["IdToken"], options={"verify_signature": False})["auth_time"]
    again = _renew(idp, pool, renewed["RefreshToken"])
    assert again["RefreshToken"] not in {first["RefreshToken"], renewed["RefreshToken"]}
    for stale in (first["RefreshToken"], renewed["RefreshToken"]):
        with pytest.raises(ClientError) as exc:
            _renew(idp, pool, stale)
        assert _error(exc) == REUSED


def test_the_old_token_works_during_the_grace_period_and_is_refused_after(idp, make_pool, sign_in):
    pool = _rotating(make_pool, grace=1)
    old = sign_in(pool)["RefreshToken"]
    renewed = _renew(idp, pool, old)
    retry = _renew(idp, pool, old)  # a client-side retry
    assert retry["RefreshToken"] == renewed["RefreshToken"]
    assert "IdToken" in retry
    time.sleep(1.3)
    with pytest.raises(ClientError) as exc:
        _renew(idp, pool, old)
    assert _error(exc) == REUSED
    assert "IdToken" in _renew(idp, pool, renewed["RefreshToken"])


def test_a_new_refresh_token_keeps_the_remaining_lifetime_of_the_old_one(idp, make_pool, sign_in):
    pool = _rotating(make_pool)
    old = sign_in(pool)["RefreshToken"]
    moto_pool = _moto_pool(pool.id)
    moto_pool.__dict__[tokens._REFRESH][old] = time.time() + 1.5  # as if signed in 30 days minus 1.5 s ago
    replacement = _renew(idp, pool, old)["RefreshToken"]
    assert tokens.refresh_expiry(moto_pool, replacement) == tokens.refresh_expiry(moto_pool, old)
    time.sleep(1.7)
    with pytest.raises(ClientError) as exc:
        _renew(idp, pool, replacement)
    assert _error(exc) == ("NotAuthorizedException", "Refresh Token has expired")


def test_refresh_token_auth_is_refused_while_rotation_is_on(idp, make_pool, sign_in):
    pool = _rotating(make_pool)  # without ALLOW_REFRESH_TOKEN_AUTH, as the developer guide asks
    token = sign_in(pool)["RefreshToken"]
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
        )
    assert _error(exc) == ("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")

    both = _rotating(make_pool, flows=ALL_FLOWS)  # rotation with ALLOW_REFRESH_TOKEN_AUTH still listed
    token = sign_in(both)["RefreshToken"]
    message = (
        "Refresh token rotation is enabled for this client: REFRESH_TOKEN_AUTH is not available, "
        "use GetTokensFromRefreshToken"
    )
    for flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        with pytest.raises(ClientError) as exc:
            idp.initiate_auth(ClientId=both.client_id, AuthFlow=flow, AuthParameters={"REFRESH_TOKEN": token})
        assert _error(exc) == ("InvalidParameterException", message)
        with pytest.raises(ClientError) as exc:
            idp.admin_initiate_auth(
                UserPoolId=both.id, ClientId=both.client_id, AuthFlow=flow, AuthParameters={"REFRESH_TOKEN": token}
            )
        assert _error(exc) == ("InvalidParameterException", message)
    assert "RefreshToken" in _renew(idp, both, token)


# --- without rotation ---------------------------------------------------------------------------------------


def test_without_rotation_renewal_gives_id_and_access_tokens_only(idp, make_pool, sign_in):
    pool = make_pool()
    token = sign_in(pool)["RefreshToken"]
    for _ in range(2):
        renewed = _renew(idp, pool, token)
        assert "RefreshToken" not in renewed
        assert {"IdToken", "AccessToken", "ExpiresIn", "TokenType"} <= set(renewed)
    assert (
        "IdToken"
        in idp.initiate_auth(
            ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
        )["AuthenticationResult"]
    )


# --- refusals shared with REFRESH_TOKEN_AUTH ----------------------------------------------------------------


def test_the_refresh_checks_apply(idp, make_pool, sign_in):
    pool = _rotating(make_pool)
    with pytest.raises(ClientError) as exc:
        _renew(idp, pool, "not-a-token")
    assert _error(exc) == ("NotAuthorizedException", "Invalid Refresh Token.")
    other = make_pool()
    with pytest.raises(ClientError) as exc:
        _renew(idp, pool, sign_in(other)["RefreshToken"])
    assert _error(exc) == ("NotAuthorizedException", "Invalid Refresh Token.")
    sibling = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="sibling",
        ExplicitAuthFlows=ROTATING_FLOWS,
        RefreshTokenRotation={"Feature": "ENABLED"},
    )["UserPoolClient"]["ClientId"]
    with pytest.raises(ClientError) as exc:
        idp.get_tokens_from_refresh_token(RefreshToken=sign_in(pool)["RefreshToken"], ClientId=sibling)
    assert _error(exc) == ("NotAuthorizedException", "Refresh Token has different Client")
    token = sign_in(pool)["RefreshToken"]
    idp.admin_disable_user(UserPoolId=pool.id, Username=pool.username)
    with pytest.raises(ClientError) as exc:
        _renew(idp, pool, token)
    assert _error(exc) == ("NotAuthorizedException", "User is disabled.")
    idp.admin_enable_user(UserPoolId=pool.id, Username=pool.username)
    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=pool.username)
    with pytest.raises(ClientError) as exc:
        _renew(idp, pool, token)
    assert _error(exc) == ("NotAuthorizedException", "Refresh Token has been revoked")
    with pytest.raises(ClientError) as exc:
        idp.get_tokens_from_refresh_token(RefreshToken=token, ClientId="nosuchclient0000000000000")
    assert _error(exc)[0] == "ResourceNotFoundException"


def test_a_client_with_a_secret_needs_it(idp, make_pool, sign_in):
    pool = make_pool()
    client = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName=f"conf-{uuid.uuid4().hex[:6]}",
        GenerateSecret=True,
        ExplicitAuthFlows=ROTATING_FLOWS,
        RefreshTokenRotation={"Feature": "ENABLED"},
    )["UserPoolClient"]
    token = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": pool.username,
            "PASSWORD": pool.password,
            "SECRET_HASH": _hash(client, pool.username),
        },
    )["AuthenticationResult"]
    refused = ("NotAuthorizedException", f"Unable to verify secret hash for client {client['ClientId']}")
    for secret in (None, "wrong-secret-value-000000000000"):
        with pytest.raises(ClientError) as exc:
            idp.get_tokens_from_refresh_token(
                RefreshToken=token["RefreshToken"],
                ClientId=client["ClientId"],
                **({"ClientSecret": secret} if secret else {}),
            )
        assert _error(exc) == refused
    renewed = idp.get_tokens_from_refresh_token(
        RefreshToken=token["RefreshToken"], ClientId=client["ClientId"], ClientSecret=client["ClientSecret"]
    )["AuthenticationResult"]
    assert renewed["RefreshToken"] != token["RefreshToken"]


def _hash(client: dict[str, Any], username: str) -> str:
    return secret_hash(client["ClientSecret"], username, client["ClientId"])
