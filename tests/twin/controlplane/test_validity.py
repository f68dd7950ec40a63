"""Token lifetimes come from the app client and show in exp and ExpiresIn; out-of-range settings are refused."""

from __future__ import annotations

import jwt
import pytest
from botocore.exceptions import ClientError


def _lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["exp"] - claims["iat"]


def test_five_minute_client_issues_five_minute_tokens(make_pool, sign_in):
    pool = make_pool(
        AccessTokenValidity=5, IdTokenValidity=7, TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes"}
    )
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
    idp.update_user_pool_client(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AccessTokenValidity=10,
        TokenValidityUnits={"AccessToken": "minutes"},
    )
    result = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
    )["AuthenticationResult"]
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
        idp.update_user_pool_client(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AccessTokenValidity=2,
            TokenValidityUnits={"AccessToken": "minutes"},
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert sign_in(pool)["ExpiresIn"] == 3600  # the refused update changed nothing


# AWS's documented ranges (Cognito API reference, TokenValidityUnitsType): access and ID tokens from five
# minutes to one day, refresh tokens from 60 minutes to 10 years. Written here, not read from the twin's code.
MINUTE, HOUR, DAY = 60, 3600, 86400
ACCESS_ID_RANGE = (5 * MINUTE, 1 * DAY)
REFRESH_RANGE = (60 * MINUTE, 3650 * DAY)
IN_SECONDS = {"AccessToken": "seconds", "IdToken": "seconds", "RefreshToken": "seconds"}


@pytest.mark.parametrize(
    ("settings", "access_s", "id_s"),
    [
        pytest.param(
            {
                "AccessTokenValidity": 5,
                "IdTokenValidity": 5,
                "RefreshTokenValidity": 60,
                "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
            },
            ACCESS_ID_RANGE[0],
            ACCESS_ID_RANGE[0],
            id="lower-edges-in-minutes",
        ),
        pytest.param(
            {
                "AccessTokenValidity": 1,
                "IdTokenValidity": 24,
                "RefreshTokenValidity": 3650,
                "TokenValidityUnits": {"AccessToken": "days", "IdToken": "hours", "RefreshToken": "days"},
            },
            ACCESS_ID_RANGE[1],
            ACCESS_ID_RANGE[1],
            id="upper-edges-in-days-and-hours",
        ),
        pytest.param(
            {
                "AccessTokenValidity": ACCESS_ID_RANGE[0],
                "IdTokenValidity": ACCESS_ID_RANGE[1],
                "RefreshTokenValidity": REFRESH_RANGE[1],
                "TokenValidityUnits": IN_SECONDS,
            },
            ACCESS_ID_RANGE[0],
            ACCESS_ID_RANGE[1],
            id="edges-in-seconds",
        ),
        pytest.param(
            {
                "AccessTokenValidity": ACCESS_ID_RANGE[0],
                "IdTokenValidity": ACCESS_ID_RANGE[0],
                "RefreshTokenValidity": REFRESH_RANGE[0],
                "TokenValidityUnits": IN_SECONDS,
            },
            ACCESS_ID_RANGE[0],
            ACCESS_ID_RANGE[0],
            id="refresh-lower-edge-in-seconds",
        ),
    ],
)
def test_bounds_are_inclusive(make_pool, sign_in, settings, access_s, id_s):
    pool = make_pool(**settings)  # a refused edge raises InvalidParameterException here
    tokens = sign_in(pool)
    got = (tokens["ExpiresIn"], _lifetime(tokens["AccessToken"]), _lifetime(tokens["IdToken"]))
    assert got == (access_s, access_s, id_s), (
        f"an app client at AWS's range edges issues (ExpiresIn, access, ID) lifetimes {got} s, expected "
        f"{(access_s, access_s, id_s)}: the validity patch must accept each edge and sign tokens for it"
    )


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"AccessTokenValidity": ACCESS_ID_RANGE[0] - 1}, id="access-below"),
        pytest.param({"AccessTokenValidity": ACCESS_ID_RANGE[1] + 1}, id="access-above"),
        pytest.param({"IdTokenValidity": ACCESS_ID_RANGE[0] - 1}, id="id-below"),
        pytest.param({"IdTokenValidity": ACCESS_ID_RANGE[1] + 1}, id="id-above"),
        pytest.param(
            {
                "AccessTokenValidity": ACCESS_ID_RANGE[0],
                "IdTokenValidity": ACCESS_ID_RANGE[0],
                "RefreshTokenValidity": REFRESH_RANGE[0] - 1,
            },
            id="refresh-below",
        ),
        pytest.param({"RefreshTokenValidity": REFRESH_RANGE[1] + 1}, id="refresh-above"),
    ],
)
def test_one_second_past_an_edge_is_refused(idp, make_pool, settings):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.create_user_pool_client(
            UserPoolId=pool.id, ClientName="past-edge", TokenValidityUnits=IN_SECONDS, **settings
        )
    assert exc.value.response["Error"]["Message"] == "Invalid range for token validity."
