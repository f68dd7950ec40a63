"""Token lifetimes come from the app client and show in exp and ExpiresIn; out-of-range settings are refused."""

from __future__ import annotations

import jwt
import pytest
from botocore.exceptions import ClientError


def _lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["exp"] - claims["iat"]


def test_five_minute_client_issues_five_minute_tokens(make_pool, sign_in):
    pool = make_pool(AccessTokenValidity=5, IdTokenValidity=7,
                     TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes"})
    tokens = sign_in(pool)
    assert tokens["ExpiresIn"] == 300
    assert _lifetime(tokens["AccessToken"]) == 300
    assert _lifetime(tokens["IdToken"]) == 420


def test_validity_without_units_is_in_hours_and_default_is_one_hour(make_pool, sign_in):
    hours = sign_in(make_pool(AccessTokenValidity=2))
    assert hours["ExpiresIn"] == 7200 and _lifetime(hours["AccessToken"]) == 7200
    assert _lifetime(hours["IdToken"]) == 3600
    default = sign_in(make_pool())
    assert default["ExpiresIn"] == 3600


def test_refreshed_tokens_use_the_updated_validity(idp, make_pool, sign_in):
    pool = make_pool()
    refresh = sign_in(pool)["RefreshToken"]
    idp.update_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id, AccessTokenValidity=10,
                                TokenValidityUnits={"AccessToken": "minutes"})
    result = idp.initiate_auth(ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                               AuthParameters={"REFRESH_TOKEN": refresh})["AuthenticationResult"]
    assert result["ExpiresIn"] == 600 and _lifetime(result["AccessToken"]) == 600


@pytest.mark.parametrize(
    "settings",
    [
        {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"IdTokenValidity": 25, "TokenValidityUnits": {"IdToken": "hours"}},
        {"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 3651},
        {"AccessTokenValidity": 299, "TokenValidityUnits": {"AccessToken": "seconds"}},
    ],
)
def test_out_of_range_validity_is_refused_at_create(idp, make_pool, settings):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.create_user_pool_client(UserPoolId=pool.id, ClientName="bad", **settings)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert exc.value.response["Error"]["Message"] == "Invalid range for token validity."


def test_out_of_range_validity_is_refused_at_update(idp, make_pool, sign_in):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.update_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id, AccessTokenValidity=2,
                                    TokenValidityUnits={"AccessToken": "minutes"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert sign_in(pool)["ExpiresIn"] == 3600  # the refused update changed nothing


def test_bounds_are_inclusive(idp, make_pool):
    pool = make_pool()
    idp.create_user_pool_client(
        UserPoolId=pool.id, ClientName="edges", AccessTokenValidity=5, IdTokenValidity=1, RefreshTokenValidity=3650,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "days", "RefreshToken": "days"},
    )
