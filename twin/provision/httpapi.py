"""Guide steps 6 and 8: the HTTP API, its JWT authorizer, the Lambda proxy integration
(payload 2.0), the routes of the contract, the `$default` auto-deploy stage, and CORS.
"""

from __future__ import annotations

from typing import Any

from twin.provision import names
from twin.provision.aws import only


def cors_configuration() -> dict[str, Any]:
    return {
        "AllowOrigins": list(names.ALLOWED_ORIGINS),
        "AllowMethods": list(names.ALLOWED_METHODS),
        "AllowHeaders": list(names.ALLOWED_HEADERS),
        "ExposeHeaders": list(names.EXPOSE_HEADERS),
        "MaxAge": names.CORS_MAX_AGE,
        "AllowCredentials": False,
    }


def _items(agw: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [item for page in agw.get_paginator(operation).paginate(**kwargs) for item in page["Items"]]


def ensure_api(agw: Any) -> dict[str, Any]:
    found = [api for api in _items(agw, "get_apis") if api["Name"] == names.API]
    existing: dict[str, Any] | None = only(found, f"HTTP APIs named {names.API}")
    if existing:
        return existing
    created: dict[str, Any] = agw.create_api(Name=names.API, ProtocolType="HTTP", Tags=names.PROJECT_TAG)
    return created


def ensure_authorizer(agw: Any, api_id: str, issuer: str, audience: list[str]) -> str:
    found = [a for a in _items(agw, "get_authorizers", ApiId=api_id) if a["Name"] == names.AUTHORIZER]
    existing = only(found, f"authorizers named {names.AUTHORIZER}")
    if existing:
        current = existing.get("JwtConfiguration") or {}
        if current.get("Issuer") != issuer:  # the pool moved to another issuer type: follow it
            agw.update_authorizer(
                ApiId=api_id, AuthorizerId=existing["AuthorizerId"], JwtConfiguration={**current, "Issuer": issuer}
            )
        found_id: str = existing["AuthorizerId"]
        return found_id
    authorizer_id: str = agw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name=names.AUTHORIZER,
        IdentitySource=[names.IDENTITY_SOURCE],
        JwtConfiguration={"Issuer": issuer, "Audience": audience},
    )["AuthorizerId"]
    return authorizer_id


def ensure_integration(agw: Any, api_id: str, function_arn: str) -> str:
    found = [
        i
        for i in _items(agw, "get_integrations", ApiId=api_id)
        if i.get("IntegrationType") == "AWS_PROXY" and i.get("IntegrationUri") == function_arn
    ]
    existing = only(found, f"Lambda integrations of {function_arn}")
    if existing:
        found_id: str = existing["IntegrationId"]
        return found_id
    integration_id: str = agw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
        TimeoutInMillis=names.INTEGRATION_TIMEOUT_MS,
    )["IntegrationId"]
    return integration_id


def ensure_routes(agw: Any, api_id: str, integration_id: str, authorizer_id: str) -> dict[str, str]:
    """Route id by route key: the public routes without auth, every other one behind the JWT authorizer, the
    scoped ones with their AuthorizationScopes."""
    current: dict[str, list[str]] = {}
    for route in _items(agw, "get_routes", ApiId=api_id):
        current.setdefault(route["RouteKey"], []).append(route["RouteId"])
    ids: dict[str, str] = {}
    for key in (*names.PUBLIC_ROUTES, *names.PROTECTED_ROUTES):
        existing = only(current.get(key, []), f"routes with key {key}")
        if existing:
            ids[key] = existing
            continue
        auth: dict[str, Any] = (
            {"AuthorizationType": "NONE"}
            if key in names.PUBLIC_ROUTES
            else {"AuthorizationType": "JWT", "AuthorizerId": authorizer_id}
        )
        if key in names.SCOPED_ROUTES:
            auth["AuthorizationScopes"] = list(names.SCOPED_ROUTES[key])
        ids[key] = agw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}", **auth)[
            "RouteId"
        ]
    return ids


def ensure_stage(agw: Any, api_id: str) -> None:
    if not any(s["StageName"] == names.STAGE for s in _items(agw, "get_stages", ApiId=api_id)):
        agw.create_stage(ApiId=api_id, StageName=names.STAGE, AutoDeploy=True, Tags=names.PROJECT_TAG)


def _normalised(cors: dict[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, list) else v for k, v in cors.items()}


def ensure_cors(agw: Any, api_id: str) -> None:
    """Guide step 8, set on the API itself; update_api replaces the whole CORS object."""
    wanted = cors_configuration()
    current = agw.get_api(ApiId=api_id).get("CorsConfiguration") or {}
    if _normalised(current) != _normalised(wanted):
        agw.update_api(ApiId=api_id, CorsConfiguration=wanted)
