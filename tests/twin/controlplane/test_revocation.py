"""Revocation: RevokeToken and (Admin)GlobalSignOut make Cognito refuse the tokens (GetUser, refresh), while the
tokens' signatures stay valid; EnableTokenRevocation, token types, clients and secrets of RevokeToken."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from tests.twin.support import secret_hash

REVOKED_ACCESS = ("NotAuthorizedException", "Access Token has been revoked")
REVOKED_REFRESH = ("NotAuthorizedException", "Refresh Token has been revoked")


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def _refused(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    return _error(exc)


def _refresh(idp: Any, pool: Any, token: str) -> dict[str, Any]:
    return idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
    )["AuthenticationResult"]


def _signature_valid(url: str, pool: Any, token: str) -> bool:
    key = jwt.PyJWKClient(f"{url}/{pool.id}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    return bool(jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False}))


def test_revoke_token_revokes_its_session_and_nothing_else(control_plane, idp, make_pool, sign_in):
    pool = make_pool()
    revoked, kept = sign_in(pool), sign_in(pool)
    minted = _refresh(idp, pool, revoked["RefreshToken"])  # access tokens made from the revoked refresh token
    idp.revoke_token(Token=revoked["RefreshToken"], ClientId=pool.client_id)
    for access in (revoked["AccessToken"], minted["AccessToken"]):
        assert _refused(lambda a=access: idp.get_user(AccessToken=a)) == REVOKED_ACCESS
    assert _refused(lambda: _refresh(idp, pool, revoked["RefreshToken"])) == REVOKED_REFRESH
    assert (
        _refused(
            lambda: idp.get_tokens_from_refresh_token(RefreshToken=revoked["RefreshToken"], ClientId=pool.client_id)
        )
        == REVOKED_REFRESH
    )
    assert idp.get_user(AccessToken=kept["AccessToken"])["Username"] == pool.username
    assert "AccessToken" in _refresh(idp, pool, kept["RefreshToken"])
    # Cognito's bookkeeping only: the revoked tokens still verify with the pool's keys.
    assert _signature_valid(control_plane.url, pool, revoked["AccessToken"])
    assert _signature_valid(control_plane.url, pool, revoked["IdToken"])
    idp.revoke_token(Token=revoked["RefreshToken"], ClientId=pool.client_id)  # again: nothing to do


def test_revoking_a_rotated_token_revokes_its_successors(idp, make_pool, sign_in):
    pool = make_pool(flows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"], RefreshTokenRotation={"Feature": "ENABLED"})
    first = sign_in(pool)
    second = idp.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"], ClientId=pool.client_id)[
        "AuthenticationResult"
    ]
    idp.revoke_token(Token=second["RefreshToken"], ClientId=pool.client_id)
    assert (
        _refused(
            lambda: idp.get_tokens_from_refresh_token(RefreshToken=second["RefreshToken"], ClientId=pool.client_id)
        )
        == REVOKED_REFRESH
    )
    for access in (first["AccessToken"], second["AccessToken"]):
        assert _refused(lambda a=access: idp.get_user(AccessToken=a)) == REVOKED_ACCESS


def test_revoke_token_needs_enable_token_revocation(idp, make_pool, sign_in):
    pool = make_pool(EnableTokenRevocation=False)
    assert (
        idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id)["UserPoolClient"][
            "EnableTokenRevocation"
        ]
        is False
    )
    token = sign_in(pool)["RefreshToken"]
    assert _refused(lambda: idp.revoke_token(Token=token, ClientId=pool.client_id)) == (
        "UnsupportedOperationException",
        "Token revocation is not enabled for this client.",
    )
    assert "AccessToken" in _refresh(idp, pool, token)


def test_a_new_client_has_revocation_on(idp, make_pool):
    pool = make_pool()
    client = idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id)["UserPoolClient"]
    assert client["EnableTokenRevocation"] is True


def test_revoke_token_takes_refresh_tokens_of_its_own_client_only(idp, make_pool, sign_in):
    pool = make_pool()
    tokens = sign_in(pool)
    for token in (tokens["AccessToken"], tokens["IdToken"]):
        assert _refused(lambda t=token: idp.revoke_token(Token=t, ClientId=pool.client_id)) == (
            "UnsupportedTokenTypeException",
            "Only refresh tokens can be revoked.",
        )
    other = idp.create_user_pool_client(UserPoolId=pool.id, ClientName=f"o-{uuid.uuid4().hex[:6]}")["UserPoolClient"]
    assert _refused(lambda: idp.revoke_token(Token=tokens["RefreshToken"], ClientId=other["ClientId"])) == (
        "UnauthorizedException",
        "Token was not issued to this client.",
    )
    assert "AccessToken" in _refresh(idp, pool, tokens["RefreshToken"])
    idp.revoke_token(Token=str(uuid.uuid4()), ClientId=pool.client_id)  # an unknown token: nothing to do


def test_a_client_with_a_secret_revokes_with_it(idp, confidential):
    pool, client_id, secret = confidential
    token = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": pool.username,
            "PASSWORD": pool.password,
            "SECRET_HASH": secret_hash(secret, pool.username, client_id),
        },
    )["AuthenticationResult"]["RefreshToken"]
    assert _refused(lambda: idp.revoke_token(Token=token, ClientId=client_id)) == (
        "UnauthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    idp.revoke_token(Token=token, ClientId=client_id, ClientSecret=secret)
    assert (
        _refused(lambda: idp.get_tokens_from_refresh_token(RefreshToken=token, ClientId=client_id, ClientSecret=secret))
        == REVOKED_REFRESH
    )


@pytest.mark.parametrize("how", ["GlobalSignOut", "AdminUserGlobalSignOut"])
def test_global_sign_out_revokes_every_session_of_the_user(control_plane, idp, make_pool, sign_in, how):
    pool = make_pool()
    sessions = [sign_in(pool), sign_in(pool)]
    if how == "GlobalSignOut":
        idp.global_sign_out(AccessToken=sessions[0]["AccessToken"])
    else:
        idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=pool.username)
    for session in sessions:
        assert _refused(lambda s=session: idp.get_user(AccessToken=s["AccessToken"])) == REVOKED_ACCESS
        assert _refused(lambda s=session: idp.global_sign_out(AccessToken=s["AccessToken"])) == REVOKED_ACCESS
        assert _refused(lambda s=session: _refresh(idp, pool, s["RefreshToken"])) == REVOKED_REFRESH
        assert _signature_valid(control_plane.url, pool, session["AccessToken"])
    fresh = sign_in(pool)  # signing in again works
    assert idp.get_user(AccessToken=fresh["AccessToken"])["Username"] == pool.username


def test_an_unknown_access_token(idp):
    assert _refused(lambda: idp.global_sign_out(AccessToken="not-a-token"))[0] == "NotAuthorizedException"
    assert _refused(lambda: idp.get_user(AccessToken="not-a-token"))[0] == "NotAuthorizedException"


def test_the_jwks_is_unchanged_by_revocation(control_plane, idp, make_pool, sign_in):
    pool = make_pool()
    before = requests.get(f"{control_plane.url}/{pool.id}/.well-known/jwks.json", timeout=10).json()
    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=pool.username)
    idp.revoke_token(Token=sign_in(pool)["RefreshToken"], ClientId=pool.client_id)
    assert requests.get(f"{control_plane.url}/{pool.id}/.well-known/jwks.json", timeout=10).json() == before
