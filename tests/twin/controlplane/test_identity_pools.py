"""Identity pools: role settings read back, stable GetId, Logins checked, unauthenticated access refused."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
AUTH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/learninghub-cognito-auth"
UNAUTH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/learninghub-cognito-unauth"


@pytest.fixture
def identity(aws):
    return aws("cognito-identity")


def _identity_pool(identity, pool, allow_unauthenticated=False):
    return identity.create_identity_pool(
        IdentityPoolName=f"ip_{uuid.uuid4().hex[:8]}",
        AllowUnauthenticatedIdentities=allow_unauthenticated,
        CognitoIdentityProviders=[
            {"ProviderName": pool.provider, "ClientId": pool.client_id, "ServerSideTokenCheck": False}
        ],
    )["IdentityPoolId"]


def _error(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_roles_are_stored_and_read_back(identity, make_pool):
    pool_id = _identity_pool(identity, make_pool())
    mappings = {
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_x:client": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}
    }
    identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE},
        RoleMappings=mappings,
    )
    roles = identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert roles["IdentityPoolId"] == pool_id
    assert roles["Roles"] == {"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE}
    assert roles["RoleMappings"] == mappings


def test_roles_of_unknown_pool_are_not_found(identity):
    with pytest.raises(ClientError) as exc:
        identity.get_identity_pool_roles(IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000")
    assert _error(exc)[0] == "ResourceNotFoundException"


def test_get_id_is_stable_for_the_same_user(identity, make_pool, sign_in):
    pool = make_pool()
    pool_id = _identity_pool(identity, pool)
    first = identity.get_id(
        AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins={pool.provider: sign_in(pool)["IdToken"]}
    )["IdentityId"]
    again = identity.get_id(
        AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins={pool.provider: sign_in(pool)["IdToken"]}
    )["IdentityId"]
    assert first == again and first.startswith("us-east-1:")
    other = make_pool()
    other_pool_id = _identity_pool(identity, other)
    assert (
        identity.get_id(
            AccountId=ACCOUNT, IdentityPoolId=other_pool_id, Logins={other.provider: sign_in(other)["IdToken"]}
        )["IdentityId"]
        != first
    )


def test_unauthenticated_get_id_refused_when_not_allowed(identity, make_pool):
    pool_id = _identity_pool(identity, make_pool(), allow_unauthenticated=False)
    with pytest.raises(ClientError) as exc:
        identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id)
    assert _error(exc) == ("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")


def test_unauthenticated_get_id_allowed_when_enabled(identity, make_pool):
    pool_id = _identity_pool(identity, make_pool(), allow_unauthenticated=True)
    assert identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id)["IdentityId"]


def test_token_of_another_user_pool_is_refused(identity, make_pool, sign_in):
    pool, stranger = make_pool(), make_pool()
    pool_id = _identity_pool(identity, pool)
    with pytest.raises(ClientError) as exc:  # stranger's token under this pool's provider name
        identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins={pool.provider: sign_in(stranger)["IdToken"]})
    assert _error(exc) == ("NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName")
    with pytest.raises(ClientError) as exc:  # stranger's own provider is not configured here
        identity.get_id(
            AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins={stranger.provider: sign_in(stranger)["IdToken"]}
        )
    assert _error(exc) == ("NotAuthorizedException", "Token is not from a supported provider of this identity pool.")


def test_access_token_and_other_client_are_refused(idp, identity, make_pool, sign_in):
    pool = make_pool()
    pool_id = _identity_pool(identity, pool)
    with pytest.raises(ClientError) as exc:
        identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins={pool.provider: sign_in(pool)["AccessToken"]})
    assert _error(exc) == ("NotAuthorizedException", "Invalid login token. Missing a required claim: aud")
    other_client = idp.create_user_pool_client(
        UserPoolId=pool.id, ClientName="other", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    with pytest.raises(ClientError) as exc:
        identity.get_id(
            AccountId=ACCOUNT,
            IdentityPoolId=pool_id,
            Logins={pool.provider: sign_in(pool, client_id=other_client)["IdToken"]},
        )
    assert _error(exc) == ("NotAuthorizedException", "Invalid login token. Incorrect token audience.")


def test_forged_and_garbage_tokens_are_refused(identity, make_pool, sign_in):
    pool = make_pool()
    pool_id = _identity_pool(identity, pool)
    real = jwt.decode(sign_in(pool)["IdToken"], options={"verify_signature": False})
    from cryptography.hazmat.primitives.asymmetric import rsa

    forged = jwt.encode(
        {**real, "exp": int(time.time()) + 600},
        rsa.generate_private_key(65537, 2048),
        algorithm="RS256",
        headers={"kid": "attacker"},
    )
    for token, message in (
        (forged, "Invalid login token. Couldn't verify signed token."),
        ("not-a-jwt", "Invalid login token. Not a valid OpenId Connect identity token."),
    ):
        with pytest.raises(ClientError) as exc:
            identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins={pool.provider: token})
        assert _error(exc) == ("NotAuthorizedException", message)


def test_unknown_identity_pool_is_not_found_not_a_server_error(identity):
    with pytest.raises(ClientError) as exc:
        identity.get_id(AccountId=ACCOUNT, IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000")
    assert _error(exc)[0] == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_credentials_need_the_logins_of_the_identity(idp, identity, make_pool, sign_in):
    pool = make_pool()
    pool_id = _identity_pool(identity, pool)
    login = {pool.provider: sign_in(pool)["IdToken"]}
    identity_id = identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id, Logins=login)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login)
    assert credentials["IdentityId"] == identity_id and credentials["Credentials"]["AccessKeyId"]
    with pytest.raises(ClientError) as exc:
        identity.get_credentials_for_identity(IdentityId=identity_id)
    assert _error(exc)[0] == "NotAuthorizedException" and "Logins don't match" in _error(exc)[1]
    # A valid token of another user of the same pool does not unlock this identity.
    idp.admin_create_user(UserPoolId=pool.id, Username="other-user", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool.id, Username="other-user", Password=pool.password, Permanent=True)
    other = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "other-user", "PASSWORD": pool.password},
    )
    with pytest.raises(ClientError) as exc:
        identity.get_credentials_for_identity(
            IdentityId=identity_id, Logins={pool.provider: other["AuthenticationResult"]["IdToken"]}
        )
    assert _error(exc)[0] == "NotAuthorizedException" and "Logins don't match" in _error(exc)[1]
    with pytest.raises(ClientError) as exc:
        identity.get_credentials_for_identity(IdentityId="us-east-1:00000000-0000-0000-0000-000000000000", Logins=login)
    assert _error(exc)[0] == "ResourceNotFoundException"


def test_unauthenticated_credentials_follow_the_pool_setting(identity, make_pool):
    pool_id = _identity_pool(identity, make_pool(), allow_unauthenticated=True)
    identity_id = identity.get_id(AccountId=ACCOUNT, IdentityPoolId=pool_id)["IdentityId"]
    assert identity.get_credentials_for_identity(IdentityId=identity_id)["IdentityId"] == identity_id
    identity.update_identity_pool(
        IdentityPoolId=pool_id, IdentityPoolName="renamed", AllowUnauthenticatedIdentities=False
    )
    with pytest.raises(ClientError) as exc:
        identity.get_credentials_for_identity(IdentityId=identity_id)
    assert _error(exc) == ("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
