"""Cognito user pool and app client faults (cognito-idp UpdateUserPoolClient / UpdateUserPool, which
reset every field not passed, so each change sends the whole current configuration), and the web
client recreated with a secret and rolled out (the only way an app client gets its first secret)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twin.faults.catalogue.authorizer import observe_authorizer, update_jwt
from twin.faults.context import FaultContext
from twin.faults.model import fault
from twin.faults.undo import Undo

CLIENT_FIELDS = (
    "ClientName", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits",
    "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders", "CallbackURLs",
    "LogoutURLs", "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration", "PreventUserExistenceErrors", "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData", "AuthSessionValidity", "RefreshTokenRotation",
)  # fmt: skip
POOL_FIELDS = (
    "Policies", "DeletionProtection", "LambdaConfig", "AutoVerifiedAttributes", "SmsVerificationMessage",
    "EmailVerificationMessage", "EmailVerificationSubject", "VerificationMessageTemplate", "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings", "MfaConfiguration", "DeviceConfiguration", "EmailConfiguration",
    "SmsConfiguration", "UserPoolTags", "AdminCreateUserConfig", "UserPoolAddOns", "AccountRecoverySetting",
    "PoolName", "UserPoolTier", "IssuerConfiguration",  # UpdateUserPool resets what it is not given
)  # fmt: skip
LEGACY_CLIENT = "learninghub-legacy-spa"
SSR_SUFFIX = "-ssr"


def describe_client(ctx: FaultContext) -> dict[str, Any]:
    client: dict[str, Any] = ctx.client("cognito-idp").describe_user_pool_client(
        UserPoolId=ctx.target.user_pool_id, ClientId=ctx.target.client_id
    )["UserPoolClient"]
    return client


def describe_pool(ctx: FaultContext) -> dict[str, Any]:
    pool: dict[str, Any] = ctx.client("cognito-idp").describe_user_pool(UserPoolId=ctx.target.user_pool_id)["UserPool"]
    return pool


def change_client(ctx: FaultContext, undo: Undo, edit: Callable[[dict[str, Any]], None]) -> None:
    current = describe_client(ctx)
    settings = {k: current[k] for k in CLIENT_FIELDS if k in current}
    undo.aws(
        "cognito-idp",
        "update_user_pool_client",
        UserPoolId=ctx.target.user_pool_id,
        ClientId=ctx.target.client_id,
        **settings,
    )
    wanted = {k: list(v) if isinstance(v, list) else v for k, v in settings.items()}
    edit(wanted)
    ctx.client("cognito-idp").update_user_pool_client(
        UserPoolId=ctx.target.user_pool_id, ClientId=ctx.target.client_id, **wanted
    )


def change_pool(ctx: FaultContext, undo: Undo, edit: Callable[[dict[str, Any]], None]) -> None:
    current = describe_pool(ctx)
    current["PoolName"] = current.get("Name")
    settings = {k: current[k] for k in POOL_FIELDS if current.get(k) is not None}
    undo.aws("cognito-idp", "update_user_pool", UserPoolId=ctx.target.user_pool_id, **settings)
    wanted = {k: (dict(v) if isinstance(v, dict) else v) for k, v in settings.items()}
    edit(wanted)
    ctx.client("cognito-idp").update_user_pool(UserPoolId=ctx.target.user_pool_id, **wanted)


def _client_fault(name: str, story: str, edit: Callable[[dict[str, Any]], None]) -> None:
    def change(ctx: FaultContext, undo: Undo) -> None:
        change_client(ctx, undo, edit)

    fault(name, story=story, areas={"cognito"}, observe=describe_client)(change)


def _pool_fault(name: str, story: str, edit: Callable[[dict[str, Any]], None]) -> None:
    def change(ctx: FaultContext, undo: Undo) -> None:
        change_pool(ctx, undo, edit)

    fault(name, story=story, areas={"cognito"}, observe=describe_pool)(change)


_client_fault(
    "spa-implicit-grant",
    "To make an old single-page login library work, 'implicit' is added to the web client's OAuth flows, "
    "putting tokens in URL fragments.",
    lambda c: c.update(AllowedOAuthFlows=[*c.get("AllowedOAuthFlows", []), "implicit"]),
)
_client_fault(
    "spa-localhost-callback",
    "http://localhost:3000/callback is added to the production web client's callback URLs for a demo.",
    lambda c: c.update(CallbackURLs=[*c.get("CallbackURLs", []), "http://localhost:3000/callback"]),
)
_client_fault(
    "spa-foreign-callback",
    "A preview deployment's URL on a shared hosting domain (https://learninghub-preview.vercel.app/callback) "
    "is added to the callbacks; anyone who claims that name receives users' authorization codes.",
    lambda c: c.update(CallbackURLs=[*c.get("CallbackURLs", []), "https://learninghub-preview.vercel.app/callback"]),
)
_client_fault(
    "spa-extra-auth-flow",
    "ALLOW_CUSTOM_AUTH is enabled on the web client for an experiment with passwordless sign-in and left on.",
    lambda c: c.update(ExplicitAuthFlows=[*c.get("ExplicitAuthFlows", []), "ALLOW_CUSTOM_AUTH"]),
)
_client_fault(
    "spa-refresh-token-ten-years",
    "Users complained about signing in again, so the refresh token validity is set to the maximum, 3650 days.",
    lambda c: c.update(
        RefreshTokenValidity=3650, TokenValidityUnits={**c.get("TokenValidityUnits", {}), "RefreshToken": "days"}
    ),
)
_client_fault(
    "spa-user-existence-revealed",
    "PreventUserExistenceErrors is set to LEGACY while debugging sign-in, so sign-in errors reveal which "
    "usernames exist.",
    lambda c: c.update(PreventUserExistenceErrors="LEGACY"),
)
_client_fault(
    "spa-token-revocation-disabled",
    "Token revocation is switched off on the web client to silence a sign-out error in an old SDK, so "
    "sign-out can no longer revoke refresh tokens.",
    lambda c: c.update(EnableTokenRevocation=False),
)
_pool_fault(
    "pool-self-signup-enabled",
    "Self sign-up is switched on for a marketing campaign on a pool meant for admin-created users only.",
    lambda p: p.update(AdminCreateUserConfig={**p.get("AdminCreateUserConfig", {}), "AllowAdminCreateUserOnly": False}),
)
_pool_fault(
    "pool-password-policy-weakened",
    "After support tickets about passwords, the minimum length drops to 8 and symbols are no longer required.",
    lambda p: p.update(
        Policies={"PasswordPolicy": {**p["Policies"]["PasswordPolicy"], "MinimumLength": 8, "RequireSymbols": False}}
    ),
)


def observe_clients(ctx: FaultContext) -> list[str]:
    page = (
        ctx.client("cognito-idp")
        .get_paginator("list_user_pool_clients")
        .paginate(UserPoolId=ctx.target.user_pool_id, MaxResults=60)
        .build_full_result()
    )
    return sorted(c["ClientName"] for c in page["UserPoolClients"])


@fault(
    "forgotten-legacy-client",
    story="A second app client from an abandoned prototype stays in the pool with the implicit grant and "
    "an http callback URL.",
    areas={"cognito"},
    observe=observe_clients,
)
def _legacy_client(ctx: FaultContext, undo: Undo) -> None:
    client = ctx.client("cognito-idp").create_user_pool_client(
        UserPoolId=ctx.target.user_pool_id, ClientName=LEGACY_CLIENT, GenerateSecret=False,
        AllowedOAuthFlows=["implicit"], AllowedOAuthScopes=["openid"], AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=["http://prototype.learninghub.test/callback"], SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    undo.aws("cognito-idp", "delete_user_pool_client", UserPoolId=ctx.target.user_pool_id, ClientId=client)


def observe_ssr_rollout(ctx: FaultContext) -> dict[str, Any]:
    """The web client as it was, every client of the pool (name, has a secret) and the JWT authorizer."""
    idp = ctx.client("cognito-idp")
    page = (
        idp.get_paginator("list_user_pool_clients")
        .paginate(UserPoolId=ctx.target.user_pool_id, MaxResults=60)
        .build_full_result()
    )
    clients = [
        idp.describe_user_pool_client(UserPoolId=ctx.target.user_pool_id, ClientId=c["ClientId"])["UserPoolClient"]
        for c in page["UserPoolClients"]
    ]
    return {
        "web_client": describe_client(ctx),
        "authorizer": observe_authorizer(ctx),
        "clients": sorted([c["ClientName"], bool(c.get("ClientSecret"))] for c in clients),
    }


# AWS cannot give an existing public client a secret (AddUserPoolClientSecret takes confidential clients
# only), so a team that wants one recreates the client and rolls the new id out. The old client stays in
# the authorizer's audience and as the identity pool's provider, neither named by the env any more: the
# API keeps trusting a client without a secret and the identity pool refuses the app's new tokens, so
# those two areas really fail as well.
@fault(
    "spa-client-secret",
    story="For a server-side rendering migration the web client is recreated with a generated secret and the "
    "same settings, its id is added to the API's audience and becomes the suite's client id in the "
    "pipeline; the old client is kept for a rollback.",
    areas={"cognito"},
    collateral={"authorizer", "identity_pool"},
    observe=observe_ssr_rollout,
)
def _client_secret(ctx: FaultContext, undo: Undo) -> None:
    current = describe_client(ctx)
    settings = {k: current[k] for k in CLIENT_FIELDS if k in current}
    settings["ClientName"] = f"{current['ClientName']}{SSR_SUFFIX}"
    created = ctx.client("cognito-idp").create_user_pool_client(
        UserPoolId=ctx.target.user_pool_id, GenerateSecret=True, **settings
    )["UserPoolClient"]
    undo.aws("cognito-idp", "delete_user_pool_client", UserPoolId=ctx.target.user_pool_id, ClientId=created["ClientId"])
    update_jwt(ctx, undo, audience=[*observe_authorizer(ctx)["JwtConfiguration"]["Audience"], created["ClientId"]])
    undo.suite_env("E2E_COGNITO__CLIENT_ID", created["ClientId"])
