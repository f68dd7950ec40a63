"""Wrong password and unknown user answer as Cognito does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP


def _error(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_wrong_password_admin_flow_says_incorrect_username_or_password(idp, make_pool):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.admin_initiate_auth(UserPoolId=pool.id, ClientId=pool.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": pool.username, "PASSWORD": "Wr0ng#Password!"})
    assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_unknown_user_is_hidden_when_the_client_prevents_existence_errors(idp, make_pool):
    pool = make_pool(PreventUserExistenceErrors="ENABLED")
    calls = [
        lambda: idp.admin_initiate_auth(UserPoolId=pool.id, ClientId=pool.client_id,
                                        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": "nobody", "PASSWORD": pool.password}),
        lambda: idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "nobody", "PASSWORD": pool.password}),
        lambda: AWSSRP("nobody", pool.password, pool.id, pool.client_id, client=idp).authenticate_user(),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_unknown_user_is_reported_when_the_client_allows_it(idp, make_pool):
    pool = make_pool(PreventUserExistenceErrors="LEGACY")
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "nobody", "PASSWORD": pool.password})
    assert _error(exc) == ("UserNotFoundException", "User does not exist.")
