"""Wrong password, unknown user, unconfirmed user and reset password answer as Cognito does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.twin.controlplane.conftest import ALL_FLOWS


def _error(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_wrong_password_admin_flow_says_incorrect_username_or_password(idp, make_pool):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": "Wr0ng#Password!"},
        )
    assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_unknown_user_is_hidden_when_the_client_prevents_existence_errors(idp, make_pool):
    pool = make_pool(PreventUserExistenceErrors="ENABLED")
    calls = [
        lambda: idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "nobody", "PASSWORD": pool.password},
        ),
        lambda: idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "nobody", "PASSWORD": pool.password},
        ),
        lambda: AWSSRP("nobody", pool.password, pool.id, pool.client_id, client=idp).authenticate_user(),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_unknown_user_is_reported_when_the_client_allows_it(idp, make_pool):
    pool = make_pool(PreventUserExistenceErrors="LEGACY")
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "nobody", "PASSWORD": pool.password},
        )
    assert _error(exc) == ("UserNotFoundException", "User does not exist.")


WRONG_PASSWORD = "Wr0ng#Password!"
NOT_CONFIRMED = ("UserNotConfirmedException", "User is not confirmed.")
RESET_REQUIRED = ("PasswordResetRequiredException", "Password reset required for the user")


def _password_sign_ins(idp, pool, username, password):
    """Every password sign-in of both APIs, each as a call that raises or returns."""
    return {
        "USER_PASSWORD_AUTH": lambda: idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        ),
        "ADMIN_USER_PASSWORD_AUTH": lambda: idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        ),
        "ADMIN_NO_SRP_AUTH": lambda: idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        ),
        "USER_SRP_AUTH": lambda: AWSSRP(username, password, pool.id, pool.client_id, client=idp).authenticate_user(),
        "USER_AUTH": lambda: idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password, "PREFERRED_CHALLENGE": "PASSWORD"},
        ),
    }


def _all_refused(calls, expected):
    answers = {}
    for flow, call in calls.items():
        with pytest.raises(ClientError) as exc:
            call()
        answers[flow] = _error(exc)
    assert answers == {flow: expected for flow in calls}


@pytest.mark.parametrize("hides_users", ["LEGACY", "ENABLED"])
def test_an_unconfirmed_user_is_told_so_whatever_the_password(idp, make_pool, hides_users):
    # AWS names the state before it checks the password (aws/aws-sdk-js#4608, amazon-cognito-identity-js#288),
    # and AdminInitiateAuth answers it too (jagregory/cognito-local#337 quotes AWS's body); moto gave the admin
    # flows tokens and checked USER_PASSWORD_AUTH's password first.
    pool = make_pool(flows=[*ALL_FLOWS, "ALLOW_USER_AUTH"], PreventUserExistenceErrors=hides_users)
    idp.sign_up(ClientId=pool.client_id, Username="signed-up", Password=pool.password)
    for password in (pool.password, WRONG_PASSWORD):
        _all_refused(_password_sign_ins(idp, pool, "signed-up", password), NOT_CONFIRMED)
    idp.admin_confirm_sign_up(UserPoolId=pool.id, Username="signed-up")
    result = _password_sign_ins(idp, pool, "signed-up", pool.password)["ADMIN_USER_PASSWORD_AUTH"]()
    assert result["AuthenticationResult"]["AccessToken"]


@pytest.mark.parametrize("hides_users", ["LEGACY", "ENABLED"])
def test_a_user_whose_password_was_reset_must_reset_it(idp, make_pool, hides_users):
    # AdminResetUserPassword invalidates the password: every sign-in gets PasswordResetRequiredException, with
    # PreventUserExistenceErrors on or off (aws-amplify/aws-sdk-ios#2298). moto gave tokens, or on the admin
    # API a NEW_PASSWORD_REQUIRED challenge.
    pool = make_pool(flows=[*ALL_FLOWS, "ALLOW_USER_AUTH"], PreventUserExistenceErrors=hides_users)
    idp.admin_reset_user_password(UserPoolId=pool.id, Username=pool.username)
    for password in (pool.password, WRONG_PASSWORD):
        _all_refused(_password_sign_ins(idp, pool, pool.username, password), RESET_REQUIRED)
    idp.admin_set_user_password(UserPoolId=pool.id, Username=pool.username, Password=pool.password, Permanent=True)
    result = _password_sign_ins(idp, pool, pool.username, pool.password)["USER_PASSWORD_AUTH"]()
    assert result["AuthenticationResult"]["AccessToken"]
