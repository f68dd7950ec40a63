"""ExplicitAuthFlows: refused flows answer as Cognito does; unknown names are rejected at create/update."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_user_password_auth_refused_when_only_srp_and_refresh_allowed(idp, make_pool):
    pool = make_pool(flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
        )
    assert _error(exc) == ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")


def test_admin_password_auth_refused_when_not_allowed(idp, make_pool):
    pool = make_pool(flows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as exc:
        idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
        )
    assert _error(exc) == ("InvalidParameterException", "Auth flow not enabled for this client")


def test_srp_refused_when_not_allowed(idp, make_pool):
    pool = make_pool(flows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as exc:
        AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp).authenticate_user()
    assert _error(exc) == ("InvalidParameterException", "USER_SRP_AUTH flow not enabled for this client")


def test_refresh_refused_when_not_allowed(idp, make_pool):
    pool = make_pool(flows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"])
    refresh = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
    )["AuthenticationResult"]["RefreshToken"]
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
        )
    assert _error(exc) == ("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
    with pytest.raises(ClientError) as exc:
        idp.admin_initiate_auth(
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        )
    assert _error(exc) == ("InvalidParameterException", "Auth flow not enabled for this client")


def test_allowed_flows_still_work(idp, make_pool, sign_in):
    pool = make_pool()
    tokens = sign_in(pool)
    refreshed = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]}
    )
    assert "IdToken" in refreshed["AuthenticationResult"]


def test_client_without_setting_gets_cognito_default_flows(idp, make_pool):
    pool = make_pool(flows=None)
    with pytest.raises(ClientError) as exc:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
        )
    assert _error(exc)[0] == "InvalidParameterException"
    assert AWSSRP(pool.username, pool.password, pool.id, pool.client_id, client=idp).authenticate_user()


def test_legacy_names_keep_their_meaning(idp, make_pool):
    pool = make_pool(flows=["ADMIN_NO_SRP_AUTH"])
    result = idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": pool.username, "PASSWORD": pool.password},
    )
    assert "AccessToken" in result["AuthenticationResult"]


def test_unknown_flow_name_rejected_at_create_and_update(idp, make_pool):
    pool = make_pool()
    with pytest.raises(ClientError) as exc:
        idp.create_user_pool_client(UserPoolId=pool.id, ClientName="bad", ExplicitAuthFlows=["ALLOW_NONSENSE"])
    code, message = _error(exc)
    assert code == "ValidationException"
    assert "Value '[ALLOW_NONSENSE]' at 'explicitAuthFlows' failed to satisfy constraint" in message
    with pytest.raises(ClientError) as exc:
        idp.update_user_pool_client(
            UserPoolId=pool.id, ClientId=pool.client_id, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "NOPE"]
        )
    assert _error(exc)[0] == "ValidationException"
    flows = idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id)["UserPoolClient"]
    assert "NOPE" not in flows["ExplicitAuthFlows"]
