"""USER_SRP_AUTH checks the password for real (pycognito's AWSSRP as the client)."""

from __future__ import annotations

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP


def test_right_password_signs_in_with_srp(idp, make_pool):
    pool = make_pool()
    tokens = AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp).authenticate_user()
    claims = jwt.decode(tokens["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    assert claims["sub"] == pool.sub


def test_wrong_password_is_refused(idp, make_pool):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        AWSSRP(pool.username, pool.password + "x", pool.id, pool.client_id, client=idp).authenticate_user()
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert exc.value.response["Error"]["Message"] == "Incorrect username or password."


def test_challenge_is_real_srp_and_single_use(idp, make_pool):
    pool = make_pool()
    srp = AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp)
    params = srp.get_auth_params()
    challenge = idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    assert len(challenge["ChallengeParameters"]["SRP_B"]) > 500  # a 3072-bit value, not a random uuid
    answer = srp.process_challenge(challenge["ChallengeParameters"], params)
    idp.respond_to_auth_challenge(ClientId=pool.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    with pytest.raises(ClientError) as exc:  # replaying the same proof
        idp.respond_to_auth_challenge(
            ClientId=pool.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_tampered_signature_is_refused(idp, make_pool):
    pool = make_pool()
    srp = AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp)
    params = srp.get_auth_params()
    challenge = idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    answer = srp.process_challenge(challenge["ChallengeParameters"], params)
    answer["TIMESTAMP"] = answer["TIMESTAMP"].replace("UTC", "GMT")  # signature no longer matches
    with pytest.raises(ClientError) as exc:
        idp.respond_to_auth_challenge(
            ClientId=pool.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert exc.value.response["Error"]["Message"] == "Incorrect username or password."


def test_srp_a_zero_mod_n_is_rejected(idp, make_pool):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": pool.username, "SRP_A": "0"}
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
