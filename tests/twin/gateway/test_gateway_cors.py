"""CORS through the running gateway: automatic preflight, allowed-origin matching, integration CORS headers
replaced, and the `$default` / `OPTIONS /{proxy+}` interplay AWS documents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.twin.gateway.gateway_support import (
    Deployed,
    GatewayProcess,
    OidcServer,
    call,
    deploy_api,
    eventually,
    mint,
    wait_routed,
)

MAIN = OidcServer.issuer_id("main")
CORS = {
    "AllowOrigins": ["https://app.test", "http://*"],
    "AllowMethods": ["GET", "POST", "OPTIONS"],
    "AllowHeaders": ["authorization", "content-type"],
    "ExposeHeaders": ["x-request-id"],
    "MaxAge": 300,
    "AllowCredentials": False,
}
APP = "https://app.test"


def cors_headers(resp: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}


def preflight(gw: GatewayProcess, api_id: str, path: str, origin: str | None) -> Any:
    headers = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    if origin:
        headers["Origin"] = origin
    return call(gw, api_id, "OPTIONS", path, headers=headers)


@pytest.fixture(scope="module")
def api(clients: dict[str, Any], gateway: GatewayProcess) -> Deployed:
    deployed = deploy_api(
        clients,
        {"GET /items": {"auth": True}, "GET /scoped": {"auth": True, "scopes": ["admin"]}, "GET /public": {}},
        issuer=MAIN,
        cors=CORS,
    )
    wait_routed(gateway, deployed.api_id, "GET", "/public", "GET /public")
    return deployed


def test_preflight_is_answered_by_the_gateway_even_on_an_authorized_route(
    gateway: GatewayProcess, api: Deployed
) -> None:
    resp = preflight(gateway, api.api_id, "/items", APP)
    assert resp.status_code == 204
    assert resp.content == b""
    assert cors_headers(resp) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET,POST,OPTIONS",
        "access-control-allow-headers": "authorization,content-type",
        "access-control-max-age": "300",
    }
    assert resp.headers["apigw-requestid"]


def test_preflight_for_a_disallowed_origin_has_no_cors_headers(gateway: GatewayProcess, api: Deployed) -> None:
    for origin in ("https://evil.test", "https://app.test.evil.test", "null", None):
        resp = preflight(gateway, api.api_id, "/items", origin)
        assert resp.status_code == 204
        assert cors_headers(resp) == {}, origin


def test_options_without_request_method_is_no_preflight(gateway: GatewayProcess, api: Deployed) -> None:
    # "For the OPTIONS method, your request must contain an origin header and an Access-Control-Request-Method
    # header" (HTTP API CORS page): with the Origin alone there are no CORS headers. The gateway still answers
    # 204 itself, as AWS did to an OPTIONS with neither header on a path without an OPTIONS route.
    for headers in ({"Origin": APP}, {"Origin": APP, "Access-Control-Request-Headers": "authorization"}, {}):
        resp = call(gateway, api.api_id, "OPTIONS", "/items", headers=headers)
        assert resp.status_code == 204, headers
        assert resp.content == b""
        assert cors_headers(resp) == {}, headers
        assert "content-type" not in resp.headers and "content-length" not in resp.headers


def test_scheme_prefix_pattern(gateway: GatewayProcess, api: Deployed) -> None:
    resp = preflight(gateway, api.api_id, "/items", "http://anything.example:8080")
    assert resp.headers["access-control-allow-origin"] == "http://anything.example:8080"
    assert cors_headers(preflight(gateway, api.api_id, "/items", "https://anything.example")) == {}


def test_integration_cors_headers_are_replaced(gateway: GatewayProcess, api: Deployed) -> None:
    resp = call(gateway, api.api_id, "GET", "/public", headers={"Origin": APP})
    assert resp.status_code == 200
    assert cors_headers(resp) == {"access-control-allow-origin": APP, "access-control-expose-headers": "x-request-id"}
    # The echo function sets access-control-allow-origin: https://evil.example; it must never show.
    for origin in (None, "https://evil.test"):
        resp = call(gateway, api.api_id, "GET", "/public", headers={"Origin": origin} if origin else {})
        assert resp.status_code == 200
        assert cors_headers(resp) == {}, origin


def test_allowed_origin_answers_vary_on_origin(gateway: GatewayProcess, api: Deployed) -> None:
    # AWS answered an allowed, echoed origin with `vary: origin` (HTTP API capture, integration 401, 2025).
    assert call(gateway, api.api_id, "GET", "/public", headers={"Origin": APP}).headers["vary"] == "origin"
    assert "vary" not in call(gateway, api.api_id, "GET", "/public", headers={"Origin": "https://evil.test"}).headers
    assert "vary" not in call(gateway, api.api_id, "GET", "/public").headers


def test_authorizer_rejection_carries_cors_headers_for_allowed_origin(
    gateway: GatewayProcess, api: Deployed, oidc: OidcServer
) -> None:
    """Every header of the authorizer's 401 and 403, against the captured 401 (content-type, content-length 26,
    www-authenticate, the echoed allow-origin, vary, allow-credentials when configured, apigw-requestid): the
    preflight-only headers (methods, headers, max-age) never show on them."""
    denied = call(
        gateway,
        api.api_id,
        "GET",
        "/scoped",
        headers={"Origin": APP},
        token=mint(oidc.issuers["main"], {"aud": "client-a", "scope": "openid"}),
    )
    for resp, status, body in (
        (call(gateway, api.api_id, "GET", "/items", headers={"Origin": APP}), 401, b'{"message":"Unauthorized"}'),
        (denied, 403, b'{"message":"Forbidden"}'),
    ):
        assert resp.status_code == status
        assert resp.content == body
        assert {k.lower() for k in resp.headers} == {
            "content-type",
            "content-length",
            "www-authenticate",
            "access-control-allow-origin",
            "vary",
            "access-control-expose-headers",
            "apigw-requestid",
            "date",
        }, resp.headers
        assert resp.headers["access-control-allow-origin"] == APP
        assert resp.headers["vary"] == "origin"
        assert resp.headers["access-control-expose-headers"] == "x-request-id"
    evil = call(gateway, api.api_id, "GET", "/items", headers={"Origin": "https://evil.test"})
    assert cors_headers(evil) == {} and "vary" not in evil.headers


def test_default_route_takes_options_and_its_authorizer_applies(
    gateway: GatewayProcess, clients: dict[str, Any], oidc: OidcServer
) -> None:
    deployed = deploy_api(clients, {"$default": {"auth": True}}, issuer=MAIN, cors=CORS, permission="*/$default")
    token = mint(oidc.issuers["main"], {"aud": "client-a"})
    wait_routed(gateway, deployed.api_id, "GET", "/x", "$default", token=token)
    resp = preflight(gateway, deployed.api_id, "/x", APP)
    assert resp.status_code == 401  # no automatic preflight: the $default route (and its JWT authorizer) handles it


def test_options_proxy_route_beats_default_and_reaches_lambda(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    deployed = deploy_api(
        clients, {"$default": {"auth": True}, "OPTIONS /{proxy+}": {}}, issuer=MAIN, cors=CORS, permission="*"
    )
    resp = eventually(lambda: (r := preflight(gateway, deployed.api_id, "/x/y", APP)).status_code == 200 and r)
    assert resp.json()["event"]["routeKey"] == "OPTIONS /{proxy+}"
    assert resp.headers["access-control-allow-origin"] == APP
    # Without Access-Control-Request-Method the route still gets the request, but no CORS headers are added
    # (documented), and the function's own allow-origin is dropped as on every response of a CORS API.
    plain = call(gateway, deployed.api_id, "OPTIONS", "/x/y", headers={"Origin": APP})
    assert plain.status_code == 200
    assert plain.json()["event"]["routeKey"] == "OPTIONS /{proxy+}"
    assert cors_headers(plain) == {} and "vary" not in plain.headers


def test_star_origin_and_credentials(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    star = deploy_api(clients, {"GET /p": {}}, cors={"AllowOrigins": ["*"], "AllowMethods": ["*"]})
    creds = deploy_api(clients, {"GET /p": {}}, cors={"AllowOrigins": [APP], "AllowCredentials": True})
    eventually(lambda: call(gateway, star.api_id, "GET", "/p").status_code == 200)
    eventually(lambda: call(gateway, creds.api_id, "GET", "/p").status_code == 200)
    resp = call(gateway, star.api_id, "GET", "/p", headers={"Origin": "https://whoever.test"})
    assert resp.headers["access-control-allow-origin"] == "*"
    assert preflight(gateway, star.api_id, "/p", "https://whoever.test").headers["access-control-allow-methods"] == "*"
    for resp in (
        call(gateway, creds.api_id, "GET", "/p", headers={"Origin": APP}),
        preflight(gateway, creds.api_id, "/p", APP),
    ):
        assert resp.headers["access-control-allow-origin"] == APP
        assert resp.headers["access-control-allow-credentials"] == "true"
    # The captured order on a CORS answer: allow-origin, vary, allow-credentials.
    names = [k.lower() for k in call(gateway, creds.api_id, "GET", "/p", headers={"Origin": APP}).headers]
    assert [n for n in names if n in ("access-control-allow-origin", "vary", "access-control-allow-credentials")] == [
        "access-control-allow-origin",
        "vary",
        "access-control-allow-credentials",
    ]


def test_without_cors_configuration_nothing_is_touched(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    plain = deploy_api(clients, {"GET /p": {}})
    eventually(lambda: call(gateway, plain.api_id, "GET", "/p").status_code == 200)
    assert preflight(gateway, plain.api_id, "/p", APP).status_code == 404
    resp = call(gateway, plain.api_id, "GET", "/p", headers={"Origin": APP})
    assert resp.headers["access-control-allow-origin"] == "https://evil.example"  # the integration's own header
