"""App client secrets: Add/List/DeleteUserPoolClientSecret, ClientSecret on Describe, rotation of SECRET_HASH."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from tests.twin.support import secret_hash


def _error(exc):
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"], exc.value.response["Error"]["Code"]


def _describe(idp, pool, client_id):
    return idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=client_id)["UserPoolClient"]


def _listed(idp, pool, client_id):
    return idp.list_user_pool_client_secrets(UserPoolId=pool.id, ClientId=client_id)["ClientSecrets"]


def test_creation_secret_is_listed_without_its_value(idp, confidential):
    pool, client_id, secret = confidential
    (listed,) = _listed(idp, pool, client_id)
    assert re.fullmatch(rf"{client_id}--\d+", listed["ClientSecretId"])
    assert "ClientSecretCreateDate" in listed and "ClientSecretValue" not in listed
    assert _describe(idp, pool, client_id)["ClientSecret"] == secret


def test_added_secret_is_returned_once_and_a_third_is_refused(idp, confidential):
    pool, client_id, _ = confidential
    added = idp.add_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id)["ClientSecretDescriptor"]
    assert re.fullmatch(r"[\w+]{24,64}", added["ClientSecretValue"])
    listed = _listed(idp, pool, client_id)
    assert [s["ClientSecretId"] for s in listed][1] == added["ClientSecretId"]
    assert len({s["ClientSecretId"] for s in listed}) == 2
    assert all("ClientSecretValue" not in s for s in listed)
    with pytest.raises(ClientError) as exc:
        idp.add_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id)
    assert _error(exc) == (400, "LimitExceededException")
    assert len(_listed(idp, pool, client_id)) == 2


def test_chosen_secret_is_not_echoed_and_must_match_the_pattern(idp, confidential):
    pool, client_id, _ = confidential
    with pytest.raises(ClientError) as exc:
        idp.add_user_pool_client_secret(
            UserPoolId=pool.id, ClientId=client_id, ClientSecret="not-a-valid-secret-value-x"
        )
    assert _error(exc) == (400, "ValidationException")
    added = idp.add_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id, ClientSecret="chosen" + "x" * 24)[
        "ClientSecretDescriptor"
    ]
    assert "ClientSecretValue" not in added and added["ClientSecretId"].startswith(f"{client_id}--")


def test_rotation_accepts_both_secrets_then_only_the_new_one(idp, confidential):
    pool, client_id, old = confidential
    new = idp.add_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id)["ClientSecretDescriptor"]
    token = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": pool.username,
            "PASSWORD": pool.password,
            "SECRET_HASH": secret_hash(new["ClientSecretValue"], pool.username, client_id),
        },
    )["AuthenticationResult"]["RefreshToken"]

    def refresh(secret):
        return idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": token, "SECRET_HASH": secret_hash(secret, pool.username, client_id)},
        )

    assert refresh(old)["AuthenticationResult"]["AccessToken"]
    assert refresh(new["ClientSecretValue"])["AuthenticationResult"]["AccessToken"]
    old_id = _listed(idp, pool, client_id)[0]["ClientSecretId"]
    idp.delete_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id, ClientSecretId=old_id)
    assert [s["ClientSecretId"] for s in _listed(idp, pool, client_id)] == [new["ClientSecretId"]]
    assert _describe(idp, pool, client_id)["ClientSecret"] == new["ClientSecretValue"]
    assert refresh(new["ClientSecretValue"])["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as exc:
        refresh(old)
    assert _error(exc) == (400, "NotAuthorizedException")


def test_last_secret_cannot_be_deleted(idp, confidential):
    pool, client_id, secret = confidential
    (only,) = _listed(idp, pool, client_id)
    with pytest.raises(ClientError) as exc:
        idp.delete_user_pool_client_secret(
            UserPoolId=pool.id, ClientId=client_id, ClientSecretId=only["ClientSecretId"]
        )
    assert _error(exc) == (400, "InvalidParameterException")
    assert _describe(idp, pool, client_id)["ClientSecret"] == secret


def test_unknown_secret_id_is_not_found(idp, confidential):
    pool, client_id, _ = confidential
    idp.add_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id)
    with pytest.raises(ClientError) as exc:
        idp.delete_user_pool_client_secret(UserPoolId=pool.id, ClientId=client_id, ClientSecretId=f"{client_id}--1")
    assert _error(exc) == (400, "ResourceNotFoundException")
    assert len(_listed(idp, pool, client_id)) == 2


def test_public_client_has_no_secret_and_cannot_get_one(idp, make_pool):
    pool = make_pool()
    assert _listed(idp, pool, pool.client_id) == []
    with pytest.raises(ClientError) as exc:
        idp.add_user_pool_client_secret(UserPoolId=pool.id, ClientId=pool.client_id)
    assert _error(exc) == (400, "InvalidParameterException")
    assert "ClientSecret" not in _describe(idp, pool, pool.client_id)
    assert _listed(idp, pool, pool.client_id) == []


def test_unknown_client_is_not_found(idp, make_pool):
    pool = make_pool()
    for call in (idp.list_user_pool_client_secrets, idp.add_user_pool_client_secret):
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=pool.id, ClientId="nosuchclient")
        assert _error(exc) == (400, "ResourceNotFoundException")


def test_create_with_a_chosen_secret(idp, make_pool):
    pool = make_pool()
    chosen = "chosen" + "y" * 30
    created = idp.create_user_pool_client(UserPoolId=pool.id, ClientName="chosen", ClientSecret=chosen)
    client_id = created["UserPoolClient"]["ClientId"]
    assert created["UserPoolClient"]["ClientSecret"] == chosen
    assert _describe(idp, pool, client_id)["ClientSecret"] == chosen
    assert len(_listed(idp, pool, client_id)) == 1
    with pytest.raises(ClientError) as exc:
        idp.create_user_pool_client(UserPoolId=pool.id, ClientName="both", GenerateSecret=True, ClientSecret=chosen)
    assert _error(exc) == (400, "InvalidParameterException")
