"""SECRET_HASH is required on every sign-in of an app client with a secret, and refused in Cognito's words."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.twin.support import secret_hash


def sign_in(idp, pool, client_id, flow, extra):
    params = {"USERNAME": pool.username, "PASSWORD": pool.password, **extra}
    if flow.startswith("ADMIN_"):
        return idp.admin_initiate_auth(UserPoolId=pool.id, ClientId=client_id, AuthFlow=flow, AuthParameters=params)
    return idp.initiate_auth(ClientId=client_id, AuthFlow=flow, AuthParameters=params)


@pytest.mark.parametrize("flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"])
@pytest.mark.parametrize("given", ["missing", "wrong"])
def test_password_flows_need_the_hash(idp, confidential, flow, given):
    pool, client_id, secret = confidential
    extra = {} if given == "missing" else {"SECRET_HASH": secret_hash("not-the-secret", pool.username, client_id)}
    with pytest.raises(ClientError) as exc:
        sign_in(idp, pool, client_id, flow, extra)
    error = exc.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("NotAuthorizedException",
                                                 f"Unable to verify secret hash for client {client_id}")
    good = {"SECRET_HASH": secret_hash(secret, pool.username, client_id)}
    assert sign_in(idp, pool, client_id, flow, good)["AuthenticationResult"]["IdToken"]


def test_srp_and_refresh_refusals_do_not_echo_the_hash(idp, confidential):
    pool, client_id, secret = confidential
    wrong = secret_hash("not-the-secret", pool.username, client_id)
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                          AuthParameters={"USERNAME": pool.username, "SRP_A": "1" * 64, "SECRET_HASH": wrong})
    assert exc.value.response["Error"]["Message"] == f"Unable to verify secret hash for client {client_id}"
    good = {"SECRET_HASH": secret_hash(secret, pool.username, client_id)}
    refresh = sign_in(idp, pool, client_id, "ADMIN_USER_PASSWORD_AUTH", good)["AuthenticationResult"]["RefreshToken"]
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": refresh, "SECRET_HASH": wrong})
    assert exc.value.response["Error"]["Message"] == f"Unable to verify secret hash for client {client_id}"


def test_a_public_client_needs_no_hash(idp, make_pool, sign_in):
    pool = make_pool()
    assert sign_in(pool)["IdToken"]
