"""SECRET_HASH is required on every sign-in of an app client with a secret, and refused in Cognito's words:
a missing hash "was not received", a wrong one on a password or SRP flow "Unable to verify secret hash", a wrong
one on a refresh "SecretHash does not match", and a refresh's hash is made with the internal username."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.twin.controlplane.conftest import ALL_FLOWS, PASSWORD, POOL_POLICIES
from tests.twin.support import secret_hash


def sign_in(idp, pool, client_id, flow, extra, username=None):
    params = {"USERNAME": username or pool.username, "PASSWORD": pool.password, **extra}
    if flow.startswith("ADMIN_"):
        return idp.admin_initiate_auth(UserPoolId=pool.id, ClientId=client_id, AuthFlow=flow, AuthParameters=params)
    return idp.initiate_auth(ClientId=client_id, AuthFlow=flow, AuthParameters=params)


def refresh(idp, pool_id, client_id, token, extra, admin):
    params = {"REFRESH_TOKEN": token, **extra}
    if admin:
        return idp.admin_initiate_auth(
            UserPoolId=pool_id, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params
        )
    return idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params)


def _error(exc):
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def not_received(client_id):
    return "NotAuthorizedException", f"Client {client_id} is configured with secret but SECRET_HASH was not received"


def unverified(client_id):
    return "NotAuthorizedException", f"Unable to verify secret hash for client {client_id}"


def mismatch(client_id):
    return "NotAuthorizedException", f"SecretHash does not match for the client: {client_id}"


@pytest.mark.parametrize("flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"])
@pytest.mark.parametrize("given", ["missing", "wrong"])
def test_password_flows_need_the_hash(idp, confidential, flow, given):
    pool, client_id, secret = confidential
    extra = {} if given == "missing" else {"SECRET_HASH": secret_hash("not-the-secret", pool.username, client_id)}
    with pytest.raises(ClientError) as exc:
        sign_in(idp, pool, client_id, flow, extra)
    assert _error(exc) == (not_received(client_id) if given == "missing" else unverified(client_id))
    good = {"SECRET_HASH": secret_hash(secret, pool.username, client_id)}
    assert sign_in(idp, pool, client_id, flow, good)["AuthenticationResult"]["IdToken"]


def test_srp_refuses_a_missing_or_wrong_hash_without_echoing_it(idp, confidential):
    pool, client_id, _ = confidential
    wrong = secret_hash("not-the-secret", pool.username, client_id)
    for extra, expected in (({}, not_received(client_id)), ({"SECRET_HASH": wrong}, unverified(client_id))):
        with pytest.raises(ClientError) as exc:
            idp.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_SRP_AUTH",
                AuthParameters={"USERNAME": pool.username, "SRP_A": "1" * 64, **extra},
            )
        assert _error(exc) == expected


@pytest.mark.parametrize("admin", [False, True], ids=["InitiateAuth", "AdminInitiateAuth"])
def test_a_refresh_needs_the_hash_and_names_a_wrong_one_differently(idp, confidential, admin):
    pool, client_id, secret = confidential
    good = {"SECRET_HASH": secret_hash(secret, pool.username, client_id)}
    token = sign_in(idp, pool, client_id, "ADMIN_USER_PASSWORD_AUTH", good)["AuthenticationResult"]["RefreshToken"]
    with pytest.raises(ClientError) as exc:
        refresh(idp, pool.id, client_id, token, {}, admin)
    assert _error(exc) == not_received(client_id)
    with pytest.raises(ClientError) as exc:
        refresh(
            idp,
            pool.id,
            client_id,
            token,
            {"SECRET_HASH": secret_hash("not-the-secret", pool.username, client_id)},
            admin,
        )
    assert _error(exc) == mismatch(client_id)
    assert refresh(idp, pool.id, client_id, token, good, admin)["AuthenticationResult"]["AccessToken"]


def test_a_refused_refresh_token_is_named_before_its_hash(idp, confidential):
    pool, client_id, _ = confidential
    with pytest.raises(ClientError) as exc:
        refresh(idp, pool.id, client_id, str(uuid.uuid4()), {"SECRET_HASH": "wrong"}, admin=False)
    assert _error(exc) == ("NotAuthorizedException", "Invalid Refresh Token.")


@pytest.fixture
def email_pool(idp):
    """(pool id, client id, secret, email, internal username) of a pool whose users sign in with their e-mail."""
    pool_id = idp.create_user_pool(
        PoolName=f"email-{uuid.uuid4().hex[:8]}", Policies=POOL_POLICIES, UsernameAttributes=["email"]
    )["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="confidential", GenerateSecret=True, ExplicitAuthFlows=ALL_FLOWS
    )["UserPoolClient"]
    email = f"user-{uuid.uuid4().hex[:8]}@example.test"
    internal = idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")["User"]["Username"]
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    return pool_id, client["ClientId"], client["ClientSecret"], email, internal


@pytest.mark.parametrize("flow", ["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"])
@pytest.mark.parametrize("admin", [False, True], ids=["InitiateAuth", "AdminInitiateAuth"])
def test_a_refresh_hash_is_made_with_the_internal_username(idp, email_pool, flow, admin):
    pool_id, client_id, secret, email, internal = email_pool
    params = {"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": secret_hash(secret, email, client_id)}
    if flow.startswith("ADMIN_"):
        result = idp.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow=flow, AuthParameters=params)
    else:
        result = idp.initiate_auth(ClientId=client_id, AuthFlow=flow, AuthParameters=params)
    tokens = result["AuthenticationResult"]
    assert internal != email
    with pytest.raises(ClientError) as exc:  # the name the user signed in with is not the one Cognito hashes
        refresh(
            idp,
            pool_id,
            client_id,
            tokens["RefreshToken"],
            {"SECRET_HASH": secret_hash(secret, email, client_id)},
            admin,
        )
    assert _error(exc) == mismatch(client_id)
    renewed = refresh(
        idp,
        pool_id,
        client_id,
        tokens["RefreshToken"],
        {"SECRET_HASH": secret_hash(secret, internal, client_id)},
        admin,
    )["AuthenticationResult"]
    assert renewed["AccessToken"]


def test_an_mfa_answer_needs_the_hash(idp, confidential):
    pool, client_id, secret = confidential
    idp.admin_set_user_mfa_preference(
        UserPoolId=pool.id, Username=pool.username, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    good = {"SECRET_HASH": secret_hash(secret, pool.username, client_id)}
    wrong = {"SECRET_HASH": secret_hash("not-the-secret", pool.username, client_id)}
    for extra, expected in (({}, not_received(client_id)), (wrong, unverified(client_id)), (good, None)):
        challenge = sign_in(idp, pool, client_id, "ADMIN_USER_PASSWORD_AUTH", good)
        assert challenge["ChallengeName"] == "SMS_MFA"
        answer = {
            "ClientId": client_id,
            "ChallengeName": "SMS_MFA",
            "Session": challenge["Session"],
            "ChallengeResponses": {"USERNAME": pool.username, "SMS_MFA_CODE": "123456", **extra},
        }
        if expected is None:
            assert idp.respond_to_auth_challenge(**answer)["AuthenticationResult"]["IdToken"]
            continue
        with pytest.raises(ClientError) as exc:
            idp.respond_to_auth_challenge(**answer)
        assert _error(exc) == expected


def _answer(idp, pool_id, client_id, challenge, responses, admin):
    if admin:
        return idp.admin_respond_to_auth_challenge(
            UserPoolId=pool_id,
            ClientId=client_id,
            ChallengeName=challenge,
            Session=responses.pop("_session"),
            ChallengeResponses=responses,
        )
    return idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName=challenge, Session=responses.pop("_session"), ChallengeResponses=responses
    )


@pytest.mark.parametrize("admin", [False, True], ids=["RespondToAuthChallenge", "AdminRespondToAuthChallenge"])
def test_a_new_password_answer_needs_the_hash_of_the_internal_username(idp, email_pool, admin):
    # AWS requires SECRET_HASH in every challenge answer (ChallengeResponseType) and makes it with the internal
    # username: a hash of the e-mail gets "Unable to verify secret hash" (aws-amplify/aws-sdk-android PR #2265).
    pool_id, client_id, secret, _, _ = email_pool
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    internal = idp.admin_create_user(
        UserPoolId=pool_id, Username=email, TemporaryPassword="Temp#Passw0rd!!", MessageAction="SUPPRESS"
    )["User"]["Username"]

    def challenge():
        params = {
            "USERNAME": email,
            "PASSWORD": "Temp#Passw0rd!!",
            "SECRET_HASH": secret_hash(secret, email, client_id),
        }
        started = idp.admin_initiate_auth(
            UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters=params
        )
        assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        return {"_session": started["Session"], "USERNAME": email, "NEW_PASSWORD": PASSWORD}

    for extra, expected in (
        ({}, not_received(client_id)),
        ({"SECRET_HASH": secret_hash(secret, email, client_id)}, unverified(client_id)),
    ):
        with pytest.raises(ClientError) as exc:
            _answer(idp, pool_id, client_id, "NEW_PASSWORD_REQUIRED", {**challenge(), **extra}, admin)
        assert _error(exc) == expected
    good = {"SECRET_HASH": secret_hash(secret, internal, client_id)}
    assert _answer(idp, pool_id, client_id, "NEW_PASSWORD_REQUIRED", {**challenge(), **good}, admin)[
        "AuthenticationResult"
    ]["IdToken"]


def test_a_password_verifier_answer_needs_the_hash_of_the_internal_username(idp, email_pool):
    # The SRP answer's hash is made with the challenge's USERNAME, the internal one (pycognito does so; a hash of
    # the e-mail is refused: alexrudd/cognito-srp#1).
    pool_id, client_id, secret, email, internal = email_pool
    srp = AWSSRP(email, PASSWORD, pool_id, client_id, client=idp, client_secret=secret)

    def challenge():
        started = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params())
        assert started["ChallengeName"] == "PASSWORD_VERIFIER"
        responses = srp.process_challenge(started["ChallengeParameters"], {"USERNAME": email})
        assert responses["USERNAME"] == internal
        return {**responses, "_session": started["Session"]}

    for change, expected in (
        (lambda r: r.pop("SECRET_HASH"), not_received(client_id)),
        (lambda r: r.update(SECRET_HASH=secret_hash(secret, email, client_id)), unverified(client_id)),
    ):
        responses = challenge()
        change(responses)
        with pytest.raises(ClientError) as exc:
            _answer(idp, pool_id, client_id, "PASSWORD_VERIFIER", responses, admin=False)
        assert _error(exc) == expected
    assert _answer(idp, pool_id, client_id, "PASSWORD_VERIFIER", challenge(), admin=False)["AuthenticationResult"]


def test_a_public_client_needs_no_hash(idp, make_pool, sign_in):
    pool = make_pool()
    assert sign_in(pool)["IdToken"]
