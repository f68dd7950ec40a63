"""CORS of the HTTP API over real HTTP: exactly the configured origins, methods and headers, nothing more.

Expectations come from the env file ([api] allowed_origins, allowed_methods, allowed_headers,
max_age, allow_credentials). Hostile origins are CORScanner's classes derived from each allowed
origin (reflect, prefix, suffix, null, substring, unescaped dot, special characters, any
subdomain, http for https, third-party hosting) plus another port, the parent domain and developers'
local front ends (http://localhost:3000 and the like). The deployed AllowOrigins must also hold no origin
beyond the env file's: an extra one is invisible to probes derived from the expected origins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import allure
import pytest
import requests

from fixtures.api import ApiClient
from fixtures.config import EnvConfig
from fixtures.posture.cors import (
    ACAH,
    ACAM,
    CorsExpectation,
    HostileKind,
    actual_findings,
    concrete_origins,
    header_list,
    hostile_findings,
    hostile_origins,
    origin_allowed,
    preflight_findings,
    wildcard_findings,
)
from fixtures.posture.expect import cors_expectation
from fixtures.posture.routes import Route, concrete_routes, preflight_routes
from fixtures.posture.verdict import fail_on
from fixtures.routes import parse_route_key

pytestmark = pytest.mark.cors

UNLISTED_HEADER = "x-e2e-unlisted"
GARBAGE_TOKEN = "not-a-jwt"


@pytest.fixture(scope="module")
def cors(env_config: EnvConfig) -> CorsExpectation:
    return cors_expectation(env_config)


@pytest.fixture(scope="module")
def routes(env_config: EnvConfig, cors: CorsExpectation) -> list[Route]:
    """Every route to preflight, ANY and $default included: they are where OPTIONS meets the authorizer."""
    api = env_config.api
    return preflight_routes([*api.public_routes, *api.protected_routes], api.path_values, cors.methods)


@pytest.fixture(scope="module")
def public_gets(env_config: EnvConfig) -> list[Route]:
    return [r for r in concrete_routes(env_config.api.public_routes, env_config.api.path_values) if r.method == "GET"]


@pytest.fixture(scope="module")
def protected_gets(env_config: EnvConfig) -> list[Route]:
    api = env_config.api
    return [r for r in concrete_routes(api.protected_routes, api.path_values) if r.method == "GET"]


@pytest.fixture(scope="module")
def allowed(cors: CorsExpectation) -> list[str]:
    origins = concrete_origins(cors.origins)
    if not origins:
        pytest.skip("the env file lists no concrete allowed origin (only wildcards): nothing to preflight from")
    return origins


def preflight(
    api_client: ApiClient, route: Route, origin: str, *, method: str | None = None, headers: list[str] | None = None
) -> requests.Response:
    """A browser's preflight: no token, the method and headers the real request will use."""
    return api_client.request(
        "OPTIONS",
        route.path,
        origin=origin,
        headers={
            "Access-Control-Request-Method": method or route.method,
            "Access-Control-Request-Headers": ",".join(headers or []),
        },
    )


@allure.title("Every route's preflight from each allowed origin grants exactly the configured CORS")
def test_preflight_from_each_allowed_origin_for_every_route(
    api_client: ApiClient, cors: CorsExpectation, routes: list[Route], allowed: list[str]
) -> None:
    """Status 2xx (never the authorizer's 401), allow-origin = origin, the route's method, the app's
    headers, max-age and credentials exactly as configured, and no method or header beyond them."""
    findings: list[str] = []
    for origin in allowed:
        for route in routes:
            response = preflight(api_client, route, origin, headers=cors.request_headers)
            findings += preflight_findings(
                response.status_code, response.headers, where=f"preflight OPTIONS {route.path} (route {route.key}) "
                f"for {route.method} from {origin}", origin=origin, method=route.method, expect=cors,
            )  # fmt: skip
    fail_on(findings)


@allure.title("A preflight is granted no unlisted method or header")
def test_preflight_grants_no_unlisted_method_or_header(
    api_client: ApiClient, cors: CorsExpectation, routes: list[Route], allowed: list[str]
) -> None:
    """Asking for DELETE and an unlisted header must not get them allowed (unless `*` is configured)."""
    methods = {m.upper() for m in cors.methods}
    headers = {h.lower() for h in cors.headers}
    if "*" in methods and "*" in headers:
        pytest.skip("the env file allows every method and header: there is nothing unlisted to ask for")
    # A per-method route gets API Gateway's own preflight, whose grants are what this check reads.
    single = [r for r in routes if parse_route_key(r.key).method not in (None, "ANY")]
    if not single:
        pytest.skip("the env file lists no route with a single method to preflight")
    findings: list[str] = []
    for origin in allowed:
        route = single[0]
        response = preflight(api_client, route, origin, method="DELETE", headers=[UNLISTED_HEADER])
        where = f"preflight OPTIONS {route.path} for DELETE with {UNLISTED_HEADER} from {origin}"
        if (
            "*" not in methods
            and "DELETE" not in methods
            and "DELETE" in {m.upper() for m in header_list(response.headers.get(ACAM))}
        ):
            findings.append(
                f"{where} allows DELETE although the env file does not list it; remove DELETE from "
                "CorsConfiguration AllowMethods."
            )
        if "*" not in headers and UNLISTED_HEADER in header_list(response.headers.get(ACAH)):
            findings.append(
                f"{where} echoes the unlisted header back as allowed, so any request header passes; "
                "list the exact headers in CorsConfiguration AllowHeaders."
            )
    fail_on(findings)


@allure.title("Real responses carry the configured CORS headers")
def test_real_responses_carry_the_configured_cors_headers(
    api_client: ApiClient,
    cors: CorsExpectation,
    allowed: list[str],
    public_gets: list[Route],
    protected_gets: list[Route],
    id_token: str,
) -> None:
    """Responses from the Lambda (200s and its own 4xx) carry allow-origin = origin, credentials as
    configured, and none of the integration's own CORS headers beyond the configuration."""
    findings: list[str] = []
    for origin in allowed:
        for route in public_gets:
            response = api_client.request("GET", route.path, origin=origin)
            where = f"GET {route.path} ({response.status_code}) from {origin}"
            findings += actual_findings(response.headers, where=where, origin=origin, expect=cors)
        for route in protected_gets:
            response = api_client.request("GET", route.path, origin=origin, token=id_token)
            where = f"GET {route.path} with a valid token ({response.status_code}) from {origin}"
            findings += actual_findings(response.headers, where=where, origin=origin, expect=cors)
    fail_on(findings)


@allure.title("The authorizer's 401 carries the CORS headers of the allowed origin")
def test_authorizer_401_carries_cors_headers(
    api_client: ApiClient, cors: CorsExpectation, allowed: list[str], protected_gets: list[Route]
) -> None:
    """The JWT authorizer's 401 is readable by the app, so it can send the user to sign in again.

    HTTP API CORS applies to every answer to a request with an allowed Origin, the authorizer's 401
    included: captured on real HTTP APIs (the echoed allow-origin and allow-credentials on the
    authorizer's 401 and on an integration's 401, aws-captures.md; twin/gateway/README.md, CORS), where
    aws-semantics §1.5 had left it unconfirmed. The well-known missing-header 401 is a REST API (gateway
    response) behaviour. Only the headers the configuration decides are checked, so `vary` and the
    order of the headers never fail a deployment.
    """
    if not protected_gets:
        pytest.skip("the env file lists no protected GET route")
    findings: list[str] = []
    for origin in allowed:
        for route in protected_gets:
            for label, token in (("without a token", None), ("with a malformed token", GARBAGE_TOKEN)):
                response = api_client.request("GET", route.path, origin=origin, token=token)
                where = f"GET {route.path} {label} from {origin}"
                if response.status_code != 401:
                    findings.append(
                        f"{where} answered {response.status_code} instead of the authorizer's 401; "
                        "attach the JWT authorizer to the route."
                    )
                    continue
                findings += actual_findings(response.headers, where=f"{where} (401)", origin=origin, expect=cors)
    fail_on(findings)


@allure.title("A {kind} hostile origin gets no Access-Control-Allow-Origin")
@pytest.mark.parametrize("kind", list(HostileKind))
def test_hostile_origins_get_no_allow_origin(
    kind: HostileKind,
    api_client: ApiClient,
    cors: CorsExpectation,
    allowed: list[str],
    routes: list[Route],
    public_gets: list[Route],
    protected_gets: list[Route],
    id_token: str,
) -> None:
    """No Access-Control-Allow-Origin (nor credentials) for a disallowed origin: on preflights of every
    route, on real public and protected GETs, and on the authorizer's 401."""
    if cors.any_origin and not cors.credentials:
        pytest.skip("the env file allows any origin ('*') without credentials: no origin is hostile")
    origins = [
        h.origin
        for a in allowed
        for h in hostile_origins(a)
        if h.kind == kind and not origin_allowed(h.origin, cors.origins)
    ]
    if not origins:
        pytest.skip(f"no {kind} origin applies to the allowed origins {allowed}")
    findings: list[str] = []
    for origin in dict.fromkeys(origins):
        for route in routes:
            response = preflight(api_client, route, origin, headers=cors.request_headers)
            findings += hostile_findings(response.headers, where=f"preflight OPTIONS {route.path}", origin=origin)
        for route in public_gets:
            response = api_client.request("GET", route.path, origin=origin)
            findings += hostile_findings(response.headers, where=f"GET {route.path}", origin=origin)
        for route in protected_gets[:1]:
            response = api_client.request("GET", route.path, origin=origin, token=id_token)
            findings += hostile_findings(response.headers, where=f"GET {route.path} with a token", origin=origin)
            response = api_client.request("GET", route.path, origin=origin)
            findings += hostile_findings(response.headers, where=f"GET {route.path} without a token", origin=origin)
    fail_on(findings)


@allure.title("No wildcard origin where credentials are allowed or the environment is protected")
def test_no_wildcard_origin_where_credentials_or_production(
    env_config: EnvConfig, api_client: ApiClient, cors: CorsExpectation, routes: list[Route], public_gets: list[Route]
) -> None:
    """`*` is refused when the env file says credentials are allowed or the environment is protected."""
    reasons = [
        r
        for r, on in (
            ("credentials are allowed", cors.credentials),
            ("the environment is protected (production)", env_config.env.protected),
        )
        if on
    ]
    if not reasons:
        pytest.skip("the env file neither allows credentials nor marks the environment protected")
    why = " and ".join(reasons)
    findings: list[str] = []
    wild = [o for o in cors.origins if "*" in o]
    if wild:
        findings.append(
            f"the env file's [api] allowed_origins contains {wild} although {why}; list the app's "
            "exact origins in CorsConfiguration AllowOrigins and in the env file."
        )
    probe = "https://e2e-any-origin.example"
    for origin in [*concrete_origins(cors.origins), probe]:
        for route in routes:
            response = preflight(api_client, route, origin, headers=cors.request_headers)
            findings += wildcard_findings(
                response.headers, where=f"preflight OPTIONS {route.path} from {origin}", why=why
            )
        for route in public_gets:
            response = api_client.request("GET", route.path, origin=origin)
            findings += wildcard_findings(response.headers, where=f"GET {route.path} from {origin}", why=why)
    fail_on(findings)


@allure.title("The deployed AllowOrigins are only the env file's origins")
def test_deployed_allow_origins_are_only_the_env_origins(
    env_config: EnvConfig, aws_client: Callable[[str], Any], cors: CorsExpectation
) -> None:
    """Every origin in the API's CorsConfiguration AllowOrigins is one the env file lists. Probes cannot find
    an arbitrary extra origin (a staging site, a partner's domain), so the deployed list is compared with the
    declared one; origins are compared without case, as browsers send scheme and host in lower case."""
    api = aws_client("apigatewayv2").get_api(ApiId=env_config.api.api_id)
    deployed = (api.get("CorsConfiguration") or {}).get("AllowOrigins") or []
    declared = {o.lower() for o in cors.origins}
    extra = [o for o in deployed if o.lower() not in declared]
    fail_on(
        [
            f"API {env_config.api.api_id} allows the origin {o} in CorsConfiguration AllowOrigins, which the env "
            f"file's [api] allowed_origins does not list; remove it from the API (or add it to the env file if the "
            "app really runs there)."
            for o in extra
        ]
    )
