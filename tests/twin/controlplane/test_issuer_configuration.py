"""User pool IssuerConfiguration (ORIGINAL / UPDATED): the setting itself, the `iss` of every flow's tokens, both
discovery forms and the 403 of the issuer-cognito-idp form for an ORIGINAL pool, and identity-pool logins."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.twin.controlplane.conftest import POOL_POLICIES, REGION

ACCOUNT = "123456789012"
TYPES = ("ORIGINAL", "UPDATED")


def original(pool_id: str) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


def updated(pool_id: str) -> str:
    return f"https://issuer-cognito-idp.{REGION}.amazonaws.com/{pool_id}"


def issuer_for(kind: str, pool_id: str) -> str:
    return updated(pool_id) if kind == "UPDATED" else original(pool_id)


def local_base(url: str, kind: str, pool_id: str) -> str:
    """Where the control plane serves the discovery of that issuer form (the harness and gateway contract)."""
    return f"{url}/issuer-cognito-idp/{pool_id}" if kind == "UPDATED" else f"{url}/{pool_id}"


def describe(idp: Any, pool_id: str) -> dict[str, Any]:
    return idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def set_type(idp: Any, pool_id: str, kind: str) -> None:
    """UpdateUserPool resets what it is not given, so pass the pool's policies along with the new type."""
    idp.update_user_pool(UserPoolId=pool_id, Policies=POOL_POLICIES, IssuerConfiguration={"Type": kind})


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def verified(url: str, kind: str, pool_id: str, token: str) -> dict[str, Any]:
    """Verify through the discovery document of that issuer form: its jwks_uri, then the signature and `iss`."""
    discovery = requests.get(f"{local_base(url, kind, pool_id)}/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200, discovery.text
    key = jwt.PyJWKClient(discovery.json()["jwks_uri"]).get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=discovery.json()["issuer"], options={"verify_aud": False}
    )


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


# --- the setting --------------------------------------------------------------------------------------------


def test_a_pool_created_without_the_setting_is_original(idp):
    pool_id = idp.create_user_pool(PoolName=f"iss-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    assert describe(idp, pool_id)["IssuerConfiguration"] == {"Type": "ORIGINAL"}


@pytest.mark.parametrize("kind", TYPES)
def test_create_returns_and_describe_reads_back_the_type(idp, kind):
    created = idp.create_user_pool(PoolName=f"iss-{uuid.uuid4().hex[:8]}", IssuerConfiguration={"Type": kind})
    assert created["UserPool"]["IssuerConfiguration"] == {"Type": kind}
    assert describe(idp, created["UserPool"]["Id"])["IssuerConfiguration"] == {"Type": kind}


def test_update_round_trips_both_ways(idp, make_pool):
    pool = make_pool()
    set_type(idp, pool.id, "UPDATED")
    assert describe(idp, pool.id)["IssuerConfiguration"] == {"Type": "UPDATED"}
    set_type(idp, pool.id, "ORIGINAL")
    assert describe(idp, pool.id)["IssuerConfiguration"] == {"Type": "ORIGINAL"}


def test_an_update_that_leaves_it_out_sets_it_back_to_the_default(idp, make_pool):
    # UpdateUserPool: "If you don't provide a value for an attribute, Amazon Cognito sets it to its default value."
    pool = make_pool(issuer_type="UPDATED")
    idp.update_user_pool(UserPoolId=pool.id, Policies=POOL_POLICIES, MfaConfiguration="OFF")
    assert describe(idp, pool.id)["IssuerConfiguration"] == {"Type": "ORIGINAL"}


def test_an_empty_configuration_is_the_default(idp):
    pool_id = idp.create_user_pool(PoolName=f"iss-{uuid.uuid4().hex[:8]}", IssuerConfiguration={})["UserPool"]["Id"]
    assert describe(idp, pool_id)["IssuerConfiguration"] == {"Type": "ORIGINAL"}


@pytest.mark.parametrize("value", ["updated", "GLOBAL", ""])
def test_an_unknown_type_is_refused_by_create_and_update(idp, make_pool, value):
    expected = (
        "InvalidParameterException",
        f"1 validation error detected: Value '{value}' at 'issuerConfiguration.type' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ORIGINAL, UPDATED]",
    )
    before = {p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
    with pytest.raises(ClientError) as exc:
        idp.create_user_pool(PoolName=f"iss-{uuid.uuid4().hex[:8]}", IssuerConfiguration={"Type": value})
    assert _error(exc) == expected
    assert {p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]} == before, "no pool may be created"
    pool = make_pool(issuer_type="UPDATED")
    with pytest.raises(ClientError) as exc:
        idp.update_user_pool(UserPoolId=pool.id, IssuerConfiguration={"Type": value})
    assert _error(exc) == expected
    assert describe(idp, pool.id)["IssuerConfiguration"] == {"Type": "UPDATED"}, "a refused update changes nothing"


# --- tokens of every flow -----------------------------------------------------------------------------------


def _all_flows(idp: Any, pool: Any) -> dict[str, dict[str, Any]]:
    """AuthenticationResult of each way the twin issues tokens."""
    creds = {"USERNAME": pool.username, "PASSWORD": pool.password}
    results = {
        "ADMIN_USER_PASSWORD_AUTH": idp.admin_initiate_auth(
            UserPoolId=pool.id, ClientId=pool.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters=creds
        )["AuthenticationResult"],
        "USER_PASSWORD_AUTH": idp.initiate_auth(
            ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=creds
        )["AuthenticationResult"],
        "USER_SRP_AUTH": AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp).authenticate_user()[
            "AuthenticationResult"
        ],
    }
    refresh = results["USER_PASSWORD_AUTH"]["RefreshToken"]
    results["REFRESH_TOKEN_AUTH"] = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
    )["AuthenticationResult"]
    results["admin REFRESH_TOKEN_AUTH"] = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh},
    )["AuthenticationResult"]
    # A new user answering NEW_PASSWORD_REQUIRED.
    newcomer = f"new-{uuid.uuid4().hex[:8]}"
    idp.admin_create_user(
        UserPoolId=pool.id, Username=newcomer, TemporaryPassword="Temp#Passw0rd-1", MessageAction="SUPPRESS"
    )
    challenge = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": newcomer, "PASSWORD": "Temp#Passw0rd-1"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    results["NEW_PASSWORD_REQUIRED"] = idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": newcomer, "NEW_PASSWORD": "Perm#Passw0rd-22"},
    )["AuthenticationResult"]
    return results


@pytest.mark.parametrize("kind", TYPES)
def test_every_flow_signs_the_pools_issuer_into_both_tokens(control_plane, idp, make_pool, kind):
    pool = make_pool(issuer_type=kind)
    for flow, result in _all_flows(idp, pool).items():
        for name in ("IdToken", "AccessToken"):
            token_claims = verified(control_plane.url, kind, pool.id, result[name])
            assert token_claims["iss"] == issuer_for(kind, pool.id), (flow, name)


def test_after_a_flip_new_tokens_and_refreshes_carry_the_new_issuer(control_plane, idp, make_pool, sign_in):
    pool = make_pool()
    before = sign_in(pool)
    assert claims(before["AccessToken"])["iss"] == original(pool.id)
    set_type(idp, pool.id, "UPDATED")
    after = sign_in(pool)
    assert claims(after["IdToken"])["iss"] == claims(after["AccessToken"])["iss"] == updated(pool.id)
    refreshed = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": before["RefreshToken"]}
    )["AuthenticationResult"]
    assert verified(control_plane.url, "UPDATED", pool.id, refreshed["IdToken"])["iss"] == updated(pool.id)
    set_type(idp, pool.id, "ORIGINAL")
    assert claims(sign_in(pool)["IdToken"])["iss"] == original(pool.id)


# --- discovery ----------------------------------------------------------------------------------------------


def test_an_original_pool_has_original_discovery_and_a_403_under_issuer_cognito_idp(control_plane, make_pool):
    pool = make_pool()
    doc = requests.get(f"{control_plane.url}/{pool.id}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == original(pool.id)
    assert doc["jwks_uri"] == f"{control_plane.url}/{pool.id}/.well-known/jwks.json"
    for name in ("jwks.json", "openid-configuration"):
        resp = requests.get(f"{control_plane.url}/issuer-cognito-idp/{pool.id}/.well-known/{name}", timeout=10)
        assert (resp.status_code, resp.json()) == (403, {"message": "Forbidden"}), name


def test_an_updated_pool_has_discovery_under_issuer_cognito_idp(control_plane, make_pool, sign_in):
    pool = make_pool(issuer_type="UPDATED")
    base = f"{control_plane.url}/issuer-cognito-idp/{pool.id}/.well-known"
    doc = requests.get(f"{base}/openid-configuration", timeout=10).json()
    assert doc["issuer"] == updated(pool.id)
    assert doc["jwks_uri"] == f"{base}/jwks.json"
    jwks = requests.get(doc["jwks_uri"], timeout=10).json()
    tokens = sign_in(pool)
    assert {k["kid"] for k in jwks["keys"]} == {
        jwt.get_unverified_header(tokens[t])["kid"] for t in ("IdToken", "AccessToken")
    }
    # The original-form documents stay served, with the same keys and the pool's current issuer (twin's choice).
    legacy = requests.get(f"{control_plane.url}/{pool.id}/.well-known/openid-configuration", timeout=10).json()
    assert legacy["issuer"] == updated(pool.id)
    assert requests.get(legacy["jwks_uri"], timeout=10).json() == jwks


def test_discovery_follows_a_flip_both_ways(control_plane, idp, make_pool):
    pool = make_pool()
    updated_doc = f"{control_plane.url}/issuer-cognito-idp/{pool.id}/.well-known/openid-configuration"
    assert requests.get(updated_doc, timeout=10).status_code == 403
    set_type(idp, pool.id, "UPDATED")
    assert requests.get(updated_doc, timeout=10).json()["issuer"] == updated(pool.id)
    set_type(idp, pool.id, "ORIGINAL")
    assert requests.get(updated_doc, timeout=10).status_code == 403


def test_unknown_pools(control_plane):
    unknown = "us-east-1_doesnotexist"
    resp = requests.get(f"{control_plane.url}/issuer-cognito-idp/{unknown}/.well-known/jwks.json", timeout=10)
    assert resp.status_code == 403
    resp = requests.get(f"{control_plane.url}/{unknown}/.well-known/jwks.json", timeout=10)
    assert (resp.status_code, resp.json()) == (404, {"message": f"User pool {unknown} does not exist."})


# --- identity pools -----------------------------------------------------------------------------------------


def test_identity_pool_logins_are_checked_against_the_pools_current_issuer(aws, idp, make_pool, sign_in):
    identity = aws("cognito-identity")
    pool = make_pool()
    identity_pool = identity.create_identity_pool(
        IdentityPoolName=f"ip_{uuid.uuid4().hex[:8]}",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": pool.provider, "ClientId": pool.client_id, "ServerSideTokenCheck": False}
        ],
    )["IdentityPoolId"]
    stale = sign_in(pool)["IdToken"]  # ORIGINAL issuer
    set_type(idp, pool.id, "UPDATED")
    fresh = sign_in(pool)["IdToken"]
    # The provider name keeps its documented original form; the token carries the UPDATED issuer.
    first = identity.get_id(AccountId=ACCOUNT, IdentityPoolId=identity_pool, Logins={pool.provider: fresh})
    with pytest.raises(ClientError) as exc:
        identity.get_id(AccountId=ACCOUNT, IdentityPoolId=identity_pool, Logins={pool.provider: stale})
    assert _error(exc) == ("NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName")
    set_type(idp, pool.id, "ORIGINAL")
    again = identity.get_id(AccountId=ACCOUNT, IdentityPoolId=identity_pool, Logins={pool.provider: stale})
    assert again["IdentityId"] == first["IdentityId"]
