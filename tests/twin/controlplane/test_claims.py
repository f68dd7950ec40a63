"""Claims as AWS renders them: email/email_verified in the ID token, event_id, access token version 2."""

from __future__ import annotations

import jwt


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_id_token_carries_email_and_boolean_email_verified(make_pool, sign_in):
    pool = make_pool()
    claims = _claims(sign_in(pool)["IdToken"])
    assert claims["email"] == f"{pool.username}@example.test"
    assert claims["email_verified"] is True
    assert claims["cognito:username"] == pool.username
    assert claims["token_use"] == "id" and claims["aud"] == pool.client_id
    assert "event_id" in claims and "origin_jti" in claims


def test_access_token_has_version_2_and_the_same_event_id(make_pool, sign_in):
    pool = make_pool()
    tokens = sign_in(pool)
    access, id_claims = _claims(tokens["AccessToken"]), _claims(tokens["IdToken"])
    assert access["version"] == 2
    assert access["token_use"] == "access" and access["client_id"] == pool.client_id
    assert "aud" not in access and "email" not in access
    assert access["event_id"] == id_claims["event_id"]
    assert access["scope"] == "aws.cognito.signin.user.admin"


def test_user_without_email_gets_no_email_claims(idp, make_pool, sign_in):
    pool = make_pool()
    idp.admin_delete_user_attributes(
        UserPoolId=pool.id, Username=pool.username, UserAttributeNames=["email", "email_verified"]
    )
    claims = _claims(sign_in(pool)["IdToken"])
    assert "email" not in claims and "email_verified" not in claims


def test_refresh_keeps_auth_time_and_event_id_of_the_sign_in(idp, make_pool, sign_in):
    pool = make_pool()
    first = sign_in(pool)
    again = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]}
    )["AuthenticationResult"]
    before, after = _claims(first["IdToken"]), _claims(again["IdToken"])
    assert after["auth_time"] == before["auth_time"]
    assert after["event_id"] == before["event_id"]
    assert after["jti"] != before["jti"]
    second_sign_in = _claims(sign_in(pool)["IdToken"])
    assert second_sign_in["event_id"] != before["event_id"]
