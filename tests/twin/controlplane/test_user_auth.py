"""Choice-based sign-in (AuthFlow USER_AUTH): a preferred PASSWORD or PASSWORD_SRP, the SELECT_CHALLENGE step and
its answers on both APIs, the first factors the twin refuses, and clients without ALLOW_USER_AUTH."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.twin.support import secret_hash

USER_AUTH_ONLY = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def _subject(result: dict[str, Any]) -> str:
    return jwt.decode(result["AuthenticationResult"]["IdToken"], options={"verify_signature": False})["sub"]


def test_preferred_password_signs_in_with_only_allow_user_auth(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    result = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password, "PREFERRED_CHALLENGE": "PASSWORD"},
    )
    assert _subject(result) == pool.sub
    assert set(result["AuthenticationResult"]) >= {"IdToken", "AccessToken", "RefreshToken", "ExpiresIn"}
    admin = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password, "PREFERRED_CHALLENGE": "PASSWORD"},
    )
    assert _subject(admin) == pool.sub
    # USER_AUTH does not open the other flows.
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
        )
    assert _error(exc) == ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")


def test_a_wrong_password_is_refused_as_in_the_password_flow(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    for call in (
        lambda: idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={
                "USERNAME": pool.username,
                "PASSWORD": "Wrong#Passw0rd1",
                "PREFERRED_CHALLENGE": "PASSWORD",
            },
        ),
        lambda: idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={
                "USERNAME": pool.username,
                "PASSWORD": "Wrong#Passw0rd1",
                "PREFERRED_CHALLENGE": "PASSWORD",
            },
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_without_a_preferred_challenge_the_user_selects_one(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    challenge = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": pool.username}
    )
    assert challenge["ChallengeName"] == "SELECT_CHALLENGE"
    assert challenge["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    assert challenge["Session"] and "AuthenticationResult" not in challenge
    answer = {"USERNAME": pool.username, "ANSWER": "PASSWORD", "PASSWORD": pool.password}
    result = idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=challenge["Session"],
        ChallengeResponses=answer,
    )
    assert _subject(result) == pool.sub
    with pytest.raises(ClientError) as exc:  # a session answers once
        idp.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=challenge["Session"],
            ChallengeResponses=answer,
        )
    assert _error(exc) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_the_admin_api_selects_too(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    challenge = idp.admin_initiate_auth(
        UserPoolId=pool.id, ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": pool.username}
    )
    assert challenge["ChallengeName"] == "SELECT_CHALLENGE"
    result = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": pool.username, "ANSWER": "PASSWORD", "PASSWORD": pool.password},
    )
    assert _subject(result) == pool.sub


def test_a_wrong_password_in_the_answer_is_refused(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    challenge = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": pool.username}
    )
    with pytest.raises(ClientError) as exc:
        idp.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": pool.username, "ANSWER": "PASSWORD", "PASSWORD": "Wrong#Passw0rd1"},
        )
    assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def _srp_verifier(idp: Any, pool: Any, srp: AWSSRP, challenge: dict[str, Any], params: dict[str, str]) -> Any:
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    return idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.process_challenge(challenge["ChallengeParameters"], params),
    )


def test_preferred_password_srp_runs_the_real_srp_exchange(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    srp = AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp)
    params = srp.get_auth_params()
    challenge = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={**params, "PREFERRED_CHALLENGE": "PASSWORD_SRP"}
    )
    assert len(challenge["ChallengeParameters"]["SRP_B"]) > 500
    assert _subject(_srp_verifier(idp, pool, srp, challenge, params)) == pool.sub

    wrong = AWSSRP(pool.username, "Wrong#Passw0rd1", pool.id, pool.client_id, client=idp)
    wrong_params = wrong.get_auth_params()
    challenge = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={**wrong_params, "PREFERRED_CHALLENGE": "PASSWORD_SRP"},
    )
    with pytest.raises(ClientError) as exc:
        _srp_verifier(idp, pool, wrong, challenge, wrong_params)
    assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_selecting_password_srp_runs_the_real_srp_exchange(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    select = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": pool.username}
    )
    srp = AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp)
    params = srp.get_auth_params()
    challenge = idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=select["Session"],
        ChallengeResponses={**params, "ANSWER": "PASSWORD_SRP"},
    )
    assert _subject(_srp_verifier(idp, pool, srp, challenge, params)) == pool.sub


@pytest.mark.parametrize("factor", ["EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"])
def test_first_factors_the_twin_does_not_emulate_are_refused(idp, make_pool, factor):
    pool = make_pool(flows=USER_AUTH_ONLY)
    message = (
        f"{factor} is not available: the twin emulates only the PASSWORD and PASSWORD_SRP first factors "
        "(no email or SMS delivery, no passkeys)"
    )
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": pool.username, "PREFERRED_CHALLENGE": factor},
        )
    assert _error(exc) == ("InvalidParameterException", message)
    select = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": pool.username}
    )
    with pytest.raises(ClientError) as exc:
        idp.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=select["Session"],
            ChallengeResponses={"USERNAME": pool.username, "ANSWER": factor},
        )
    assert _error(exc) == ("InvalidParameterException", message)


def test_an_unknown_preferred_challenge_is_a_validation_error(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": pool.username, "PREFERRED_CHALLENGE": "MAGIC_LINK"},
        )
    code, message = _error(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value 'MAGIC_LINK' at 'authParameters.PREFERRED_CHALLENGE'")


def test_a_client_without_allow_user_auth_refuses_the_flow(idp, make_pool):
    pool = make_pool()  # the password, SRP, admin and refresh flows, not USER_AUTH
    params = {"USERNAME": pool.username, "PASSWORD": pool.password, "PREFERRED_CHALLENGE": "PASSWORD"}
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters=params)
    assert _error(exc) == ("InvalidParameterException", "USER_AUTH flow not enabled for this client")
    with pytest.raises(ClientError) as exc:
        idp.admin_initiate_auth(
            UserPoolId=pool.id, ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters=params
        )
    assert _error(exc) == ("InvalidParameterException", "Auth flow not enabled for this client")


def test_a_temporary_password_gets_new_password_required(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    newcomer = f"new-{uuid.uuid4().hex[:8]}"
    idp.admin_create_user(
        UserPoolId=pool.id, Username=newcomer, TemporaryPassword="Temp#Passw0rd-1", MessageAction="SUPPRESS"
    )
    challenge = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": newcomer, "PASSWORD": "Temp#Passw0rd-1", "PREFERRED_CHALLENGE": "PASSWORD"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": newcomer, "NEW_PASSWORD": "Perm#Passw0rd-22"},
    )
    assert "IdToken" in done["AuthenticationResult"]


def test_a_client_with_a_secret_needs_secret_hash(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    client = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName=f"conf-{uuid.uuid4().hex[:6]}",
        GenerateSecret=True,
        ExplicitAuthFlows=USER_AUTH_ONLY,
    )["UserPoolClient"]
    missing = (
        "NotAuthorizedException",
        f"Client {client['ClientId']} is configured with secret but SECRET_HASH was not received",
    )
    wrong = ("NotAuthorizedException", f"Unable to verify secret hash for client {client['ClientId']}")
    bad_hash = secret_hash("not-the-secret", pool.username, client["ClientId"])
    srp_a = AWSSRP(pool.username, pool.password, pool.id, client["ClientId"], client=idp).get_auth_params()["SRP_A"]
    for params in (
        {"USERNAME": pool.username},
        {"USERNAME": pool.username, "PASSWORD": pool.password, "PREFERRED_CHALLENGE": "PASSWORD"},
        {"USERNAME": pool.username, "SRP_A": srp_a, "PREFERRED_CHALLENGE": "PASSWORD_SRP"},
    ):
        for extra, refused in (({}, missing), ({"SECRET_HASH": bad_hash}, wrong)):
            with pytest.raises(ClientError) as exc:
                idp.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={**params, **extra})
            assert _error(exc) == refused
            with pytest.raises(ClientError) as exc:
                idp.admin_initiate_auth(
                    UserPoolId=pool.id,
                    ClientId=client["ClientId"],
                    AuthFlow="USER_AUTH",
                    AuthParameters={**params, **extra},
                )
            assert _error(exc) == refused
    hashed = secret_hash(client["ClientSecret"], pool.username, client["ClientId"])
    select = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": pool.username, "SECRET_HASH": hashed},
    )
    with pytest.raises(ClientError) as exc:  # the answer to SELECT_CHALLENGE carries its own hash
        idp.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName="SELECT_CHALLENGE",
            Session=select["Session"],
            ChallengeResponses={"USERNAME": pool.username, "ANSWER": "PASSWORD", "PASSWORD": pool.password},
        )
    assert _error(exc) == missing
    select = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": pool.username, "SECRET_HASH": hashed},
    )
    result = idp.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=select["Session"],
        ChallengeResponses={
            "USERNAME": pool.username,
            "ANSWER": "PASSWORD",
            "PASSWORD": pool.password,
            "SECRET_HASH": hashed,
        },
    )
    assert _subject(result) == pool.sub


def test_an_unknown_user(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "nobody"})
    assert _error(exc) == ("UserNotFoundException", "User does not exist.")
    hiding = make_pool(flows=USER_AUTH_ONLY, PreventUserExistenceErrors="ENABLED")
    select = idp.initiate_auth(ClientId=hiding.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "nobody"})
    assert select["ChallengeName"] == "SELECT_CHALLENGE"
    with pytest.raises(ClientError) as exc:
        idp.respond_to_auth_challenge(
            ClientId=hiding.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=select["Session"],
            ChallengeResponses={"USERNAME": "nobody", "ANSWER": "PASSWORD", "PASSWORD": "Any#Passw0rd-1"},
        )
    assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_password_srp_through_the_admin_api(idp, make_pool):
    pool = make_pool(flows=USER_AUTH_ONLY)
    srp = AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp)
    params = srp.get_auth_params()
    challenge = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={**params, "PREFERRED_CHALLENGE": "PASSWORD_SRP"},
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    result = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.process_challenge(challenge["ChallengeParameters"], params),
    )
    assert _subject(result) == pool.sub
