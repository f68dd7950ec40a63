"""Authorizer faults: the JWT authorizer's issuer, audience and identity source, and routes that
lose it, bypass it or demand what no token has (apigatewayv2 calls, as the console makes them)."""

from __future__ import annotations

from typing import Any

from twin.faults.context import FaultContext
from twin.faults.lookup import authorizer_id, integration_id, route, routes
from twin.faults.model import fault
from twin.faults.undo import Undo

FOREIGN_POOL = "learninghub-userpool-attacker"
PARTNER_CLIENT = "learninghub-partner-sync"
ADMIN_ROUTE = "GET /admin/export"


def observe_authorizer(ctx: FaultContext) -> dict[str, Any]:
    found: dict[str, Any] = ctx.client("apigatewayv2").get_authorizer(
        ApiId=ctx.target.api_id, AuthorizerId=authorizer_id(ctx)
    )
    return found


def observe_routes(ctx: FaultContext) -> list[dict[str, Any]]:
    return sorted(routes(ctx), key=lambda r: r["RouteKey"])


def observe_authorizer_and_pools(ctx: FaultContext) -> dict[str, Any]:
    pools = ctx.client("cognito-idp").get_paginator("list_user_pools").paginate(MaxResults=60).build_full_result()
    return {"authorizer": observe_authorizer(ctx), "pools": sorted(p["Name"] for p in pools["UserPools"])}


def observe_authorizer_and_clients(ctx: FaultContext) -> dict[str, Any]:
    clients = (
        ctx.client("cognito-idp")
        .get_paginator("list_user_pool_clients")
        .paginate(UserPoolId=ctx.target.user_pool_id, MaxResults=60)
        .build_full_result()
    )
    return {
        "authorizer": observe_authorizer(ctx),
        "clients": sorted(c["ClientName"] for c in clients["UserPoolClients"]),
    }


def update_jwt(
    ctx: FaultContext,
    undo: Undo,
    *,
    issuer: str | None = None,
    audience: list[str] | None = None,
    identity_source: list[str] | None = None,
) -> None:
    """update_authorizer with the given parts changed; the undo restores the whole configuration."""
    agw, auth_id = ctx.client("apigatewayv2"), authorizer_id(ctx)
    current = agw.get_authorizer(ApiId=ctx.target.api_id, AuthorizerId=auth_id)
    jwt = current["JwtConfiguration"]
    undo.aws(
        "apigatewayv2",
        "update_authorizer",
        ApiId=ctx.target.api_id,
        AuthorizerId=auth_id,
        IdentitySource=current["IdentitySource"],
        JwtConfiguration={"Issuer": jwt["Issuer"], "Audience": jwt["Audience"]},
    )
    agw.update_authorizer(
        ApiId=ctx.target.api_id, AuthorizerId=auth_id,
        IdentitySource=identity_source or current["IdentitySource"],
        JwtConfiguration={"Issuer": issuer or jwt["Issuer"], "Audience": audience or jwt["Audience"]},
    )  # fmt: skip


def update_route(ctx: FaultContext, undo: Undo, key: str, **changes: Any) -> None:
    """update_route on the route `key`; the undo restores its authorization settings."""
    current = route(ctx, key)
    previous: dict[str, Any] = {"AuthorizationType": current.get("AuthorizationType", "NONE")}
    if current.get("AuthorizerId"):
        previous["AuthorizerId"] = current["AuthorizerId"]
    previous["AuthorizationScopes"] = current.get("AuthorizationScopes") or []
    undo.aws("apigatewayv2", "update_route", ApiId=ctx.target.api_id, RouteId=current["RouteId"], **previous)
    ctx.client("apigatewayv2").update_route(ApiId=ctx.target.api_id, RouteId=current["RouteId"], **changes)


def add_route(ctx: FaultContext, undo: Undo, key: str, **auth: Any) -> None:
    created = ctx.client("apigatewayv2").create_route(
        ApiId=ctx.target.api_id, RouteKey=key, Target=f"integrations/{integration_id(ctx)}", **auth
    )
    undo.aws("apigatewayv2", "delete_route", ApiId=ctx.target.api_id, RouteId=created["RouteId"])


@fault(
    "authorizer-issuer-foreign-pool",
    story="An attacker with apigateway:UpdateAuthorizer points the issuer and audience at a user pool they "
    "control, so their own tokens open the API (and the real users' tokens stop working).",
    areas={"authorizer"},
    collateral={"sqlserver", "cors", "lambda_permissions"},
    observe=observe_authorizer_and_pools,
)
def _issuer_foreign_pool(ctx: FaultContext, undo: Undo) -> None:
    idp = ctx.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=FOREIGN_POOL)["UserPool"]["Id"]
    undo.aws("cognito-idp", "delete_user_pool", UserPoolId=pool)
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="attacker")["UserPoolClient"]["ClientId"]
    update_jwt(ctx, undo, issuer=f"https://cognito-idp.{ctx.target.region}.amazonaws.com/{pool}", audience=[client])


@fault(
    "authorizer-issuer-trailing-slash",
    story="A tired operator pastes the issuer URL from the browser's address bar, trailing slash included; "
    "API Gateway compares issuers as exact strings.",
    areas={"authorizer"},
    collateral={"sqlserver", "cors", "lambda_permissions"},
    observe=observe_authorizer,
)
def _issuer_trailing_slash(ctx: FaultContext, undo: Undo) -> None:
    update_jwt(ctx, undo, issuer=observe_authorizer(ctx)["JwtConfiguration"]["Issuer"] + "/")


ISSUER_FORMS = {"ORIGINAL": "cognito-idp", "UPDATED": "issuer-cognito-idp"}


@fault(
    "authorizer-issuer-other-form",
    story="Half of an issuer migration: the authorizer's issuer is switched to the other issuer form of the same "
    "pool (https://issuer-cognito-idp... for the UPDATED configuration, or back to https://cognito-idp...) "
    "while the pool keeps signing with the one it has, so every valid token is refused.",
    areas={"authorizer"},
    collateral={"sqlserver", "cors", "lambda_permissions"},
    observe=observe_authorizer,
)
def _issuer_other_form(ctx: FaultContext, undo: Undo) -> None:
    pool = ctx.client("cognito-idp").describe_user_pool(UserPoolId=ctx.target.user_pool_id)["UserPool"]
    kind = (pool.get("IssuerConfiguration") or {}).get("Type") or "ORIGINAL"
    other = ISSUER_FORMS["UPDATED" if kind == "ORIGINAL" else "ORIGINAL"]
    update_jwt(ctx, undo, issuer=f"https://{other}.{ctx.target.region}.amazonaws.com/{ctx.target.user_pool_id}")


@fault(
    "authorizer-audience-wrong-client",
    story="A templated pipeline fills the audience with the expiry-probe client's id only, so the web "
    "app's tokens no longer match.",
    areas={"authorizer"},
    collateral={"sqlserver", "cors", "lambda_permissions"},
    observe=observe_authorizer,
)
def _audience_wrong_client(ctx: FaultContext, undo: Undo) -> None:
    update_jwt(ctx, undo, audience=[ctx.target.expiry_client_id])


@fault(
    "authorizer-audience-widened",
    story="A developer adds a new partner-integration app client (with a secret, meant for server-to-server "
    "sync) to the API's audience, so tokens of a client the env file never names are accepted.",
    areas={"authorizer"},
    observe=observe_authorizer_and_clients,
)
def _audience_widened(ctx: FaultContext, undo: Undo) -> None:
    idp = ctx.client("cognito-idp")
    client = idp.create_user_pool_client(
        UserPoolId=ctx.target.user_pool_id, ClientName=PARTNER_CLIENT, GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    undo.aws("cognito-idp", "delete_user_pool_client", UserPoolId=ctx.target.user_pool_id, ClientId=client)
    update_jwt(ctx, undo, audience=[*observe_authorizer(ctx)["JwtConfiguration"]["Audience"], client])


@fault(
    "authorizer-identity-source-changed",
    story="Someone 'aligns' the identity source with the mobile team's custom header "
    "($request.header.X-Api-Token), so the browser's Authorization header is never read.",
    areas={"authorizer"},
    collateral={"sqlserver", "cors", "lambda_permissions"},
    observe=observe_authorizer,
)
def _identity_source(ctx: FaultContext, undo: Undo) -> None:
    update_jwt(ctx, undo, identity_source=["$request.header.X-Api-Token"])


@fault(
    "route-loses-authorizer",
    story="While debugging at 2 a.m. an operator sets GET /courses to authorization NONE 'for a minute' "
    "and forgets it; the course list is now public.",
    areas={"authorizer"},
    collateral={"cors"},
    observe=observe_routes,
)
def _route_loses_authorizer(ctx: FaultContext, undo: Undo) -> None:
    update_route(ctx, undo, "GET /courses", AuthorizationType="NONE")


@fault(
    "unprotected-route-added",
    story=f"A developer adds {ADMIN_ROUTE} for a report and forgets the authorizer; the route lands on the "
    "same Lambda without authentication.",
    areas={"authorizer"},
    observe=observe_routes,
)
def _unprotected_route(ctx: FaultContext, undo: Undo) -> None:
    add_route(ctx, undo, ADMIN_ROUTE, AuthorizationType="NONE")


@fault(
    "default-route-without-auth",
    story="A `$default` catch-all route without authorization is added 'so 404s reach the Lambda'; every "
    "unlisted path and method, OPTIONS included, now reaches the function unauthenticated.",
    areas={"authorizer"},
    collateral={"cors"},
    observe=observe_routes,
)
def _default_route(ctx: FaultContext, undo: Undo) -> None:
    add_route(ctx, undo, "$default", AuthorizationType="NONE")


@fault(
    "proxy-route-swallows-preflight",
    story="An `ANY /{proxy+}` route behind the JWT authorizer is added as a catch-all; it matches the "
    "browsers' OPTIONS preflights, which carry no token, so every preflight gets 401.",
    areas={"authorizer", "cors"},
    observe=observe_routes,
)
def _proxy_route(ctx: FaultContext, undo: Undo) -> None:
    add_route(ctx, undo, "ANY /{proxy+}", AuthorizationType="JWT", AuthorizerId=authorizer_id(ctx))


@fault(
    "route-requires-unobtainable-scope",
    story="A route is given the scope learninghub/admin from a resource server the app's sign-in never "
    "requests, so every caller gets 403 on GET /me.",
    areas={"authorizer"},
    collateral={"cors"},
    observe=observe_routes,
)
def _unobtainable_scope(ctx: FaultContext, undo: Undo) -> None:
    update_route(ctx, undo, "GET /me", AuthorizationScopes=["learninghub/admin"])
