"""Guide steps 1-4: user pool, app clients, hosted-UI domain, resource server, identity pool and its role mapping.

Every function looks the resource up by name first and creates it only when absent, so a second
run returns the same ids and creates nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from twin.provision import names
from twin.provision.aws import only


def issuer(region: str, pool_id: str, issuer_type: str) -> str:
    """The `iss` of the pool's tokens, which the JWT authorizer must name exactly."""
    host = "issuer-cognito-idp" if issuer_type == "UPDATED" else "cognito-idp"
    return f"https://{host}.{region}.amazonaws.com/{pool_id}"


def _pool_settings(issuer_type: str) -> dict[str, Any]:
    """The pool's settings that UpdateUserPool also takes (it resets whatever it is not given)."""
    return {
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": names.PASSWORD_MIN_LENGTH,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": 7,
            }
        },
        "AutoVerifiedAttributes": ["email"],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "MfaConfiguration": "OFF",
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "UserPoolTags": names.PROJECT_TAG,
        "IssuerConfiguration": {"Type": issuer_type},
    }


def ensure_user_pool(idp: Any, issuer_type: str = names.DEFAULT_ISSUER_TYPE) -> str:
    """The pool's id; an existing pool on another issuer type is moved to `issuer_type` (with all its settings,
    since UpdateUserPool sets the ones it is not given back to their defaults)."""
    found = [
        pool["Id"]
        for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60)
        for pool in page["UserPools"]
        if pool["Name"] == names.USER_POOL
    ]
    existing: str | None = only(found, f"user pools named {names.USER_POOL}")
    if existing:
        current = idp.describe_user_pool(UserPoolId=existing)["UserPool"].get("IssuerConfiguration") or {}
        if current.get("Type", names.DEFAULT_ISSUER_TYPE) != issuer_type:
            idp.update_user_pool(UserPoolId=existing, **_pool_settings(issuer_type))
        return existing
    pool = idp.create_user_pool(
        PoolName=names.USER_POOL,
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        **_pool_settings(issuer_type),
    )
    pool_id: str = pool["UserPool"]["Id"]
    return pool_id


def _client_settings(name: str, *, token_minutes: int, refresh_days: int) -> dict[str, Any]:
    return {
        "ClientName": name,
        "GenerateSecret": False,
        "ExplicitAuthFlows": list(names.AUTH_FLOWS),
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": list(names.OAUTH_SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [names.CALLBACK_URL],
        "LogoutURLs": [names.LOGOUT_URL],
        "SupportedIdentityProviders": ["COGNITO"],
        # Cognito copies only readable attributes into the ID token; /me answers `email` from it.
        "ReadAttributes": ["email", "email_verified"],
        "AccessTokenValidity": token_minutes,
        "IdTokenValidity": token_minutes,
        "RefreshTokenValidity": refresh_days,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
    }


def _m2m_settings() -> dict[str, Any]:
    """A machine client: client credentials need a secret and at least one custom scope."""
    return {
        "ClientName": names.M2M_CLIENT,
        "GenerateSecret": True,
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": list(names.M2M_SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        "AccessTokenValidity": 60,
        "TokenValidityUnits": {"AccessToken": "minutes"},
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
    }


def _existing_client(idp: Any, pool_id: str, name: str) -> str | None:
    found = [
        client["ClientId"]
        for page in idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60)
        for client in page["UserPoolClients"]
        if client["ClientName"] == name
    ]
    return only(found, f"app clients named {name}")


def ensure_app_client(idp: Any, pool_id: str, name: str, *, token_minutes: int, refresh_days: int) -> str:
    existing = _existing_client(idp, pool_id, name)
    if existing:
        return existing
    settings = _client_settings(name, token_minutes=token_minutes, refresh_days=refresh_days)
    client_id: str = idp.create_user_pool_client(UserPoolId=pool_id, **settings)["UserPoolClient"]["ClientId"]
    return client_id


def ensure_m2m_client(idp: Any, pool_id: str) -> str:
    """The machine client's id (its secret stays in Cognito: DescribeUserPoolClient shows it)."""
    existing = _existing_client(idp, pool_id, names.M2M_CLIENT)
    if existing:
        return existing
    client_id: str = idp.create_user_pool_client(UserPoolId=pool_id, **_m2m_settings())["UserPoolClient"]["ClientId"]
    return client_id


def ensure_resource_server(idp: Any, pool_id: str) -> str:
    """The resource server whose custom scopes the M2M client and the scoped routes use; its identifier."""
    servers = [
        server["Identifier"]
        for page in idp.get_paginator("list_resource_servers").paginate(UserPoolId=pool_id, MaxResults=50)
        for server in page["ResourceServers"]
    ]
    if names.RESOURCE_SERVER not in servers:
        idp.create_resource_server(
            UserPoolId=pool_id,
            Identifier=names.RESOURCE_SERVER,
            Name=names.RESOURCE_SERVER_NAME,
            Scopes=[{"ScopeName": name, "ScopeDescription": text} for name, text in names.RESOURCE_SCOPES.items()],
        )
    return names.RESOURCE_SERVER


def domain_for(pool_id: str) -> str:
    """Hosted-UI prefix, unique per pool yet stable across runs (derived from the pool id)."""
    return names.DOMAIN_PREFIX + hashlib.sha256(pool_id.encode()).hexdigest()[:8]


def ensure_domain(idp: Any, pool_id: str) -> str:
    current: str | None = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("Domain")
    if current:
        return current
    domain = domain_for(pool_id)
    idp.create_user_pool_domain(Domain=domain, UserPoolId=pool_id)
    return domain


def provider_name(region: str, pool_id: str) -> str:
    """The identity pool's provider name: GetId documents this form only, whatever the pool's issuer type."""
    return f"cognito-idp.{region}.amazonaws.com/{pool_id}"


def ensure_identity_pool(identity: Any, region: str, pool_id: str, client_id: str) -> str:
    found = [
        pool["IdentityPoolId"]
        for page in identity.get_paginator("list_identity_pools").paginate(MaxResults=60)
        for pool in page["IdentityPools"]
        if pool["IdentityPoolName"] == names.IDENTITY_POOL
    ]
    existing: str | None = only(found, f"identity pools named {names.IDENTITY_POOL}")
    if existing:
        return existing
    created = identity.create_identity_pool(
        IdentityPoolName=names.IDENTITY_POOL,
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=False,
        CognitoIdentityProviders=[
            {
                "ProviderName": provider_name(region, pool_id),
                "ClientId": client_id,
                "ServerSideTokenCheck": False,
            }
        ],
        IdentityPoolTags=names.PROJECT_TAG,
    )
    identity_pool_id: str = created["IdentityPoolId"]
    return identity_pool_id


def ensure_identity_pool_roles(identity: Any, identity_pool_id: str, auth_arn: str, unauth_arn: str) -> None:
    """Map the pool's authenticated/unauthenticated identities to the two roles (AWS semantics;
    plain moto lacks both calls and answers 500, the twin's control plane closes that gap)."""
    wanted = {"authenticated": auth_arn, "unauthenticated": unauth_arn}
    current = identity.get_identity_pool_roles(IdentityPoolId=identity_pool_id).get("Roles", {})
    if current != wanted:
        identity.set_identity_pool_roles(IdentityPoolId=identity_pool_id, Roles=wanted)
