"""Route selection through the running gateway: most specific route wins, `$default` catches the rest,
unknown APIs and paths are 404 `{"message":"Not Found"}`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.twin.gateway.gateway_support import (
    Deployed,
    GatewayProcess,
    call,
    deploy_api,
    start_gateway,
    wait_routed,
)

NOT_FOUND = {"message": "Not Found"}


@pytest.fixture(scope="module")
def api(clients: dict[str, Any], gateway: GatewayProcess) -> Deployed:
    deployed = deploy_api(
        clients,
        {
            key: {}
            for key in (
                "GET /",
                "GET /pets",
                "POST /pets",
                "GET /pets/{id}",
                "GET /pets/dog",
                "ANY /pets/{id}/toys",
                "GET /pets/{proxy+}",
                "ANY /things/{proxy+}",
                "GET /things/special/{proxy+}",
            )
        },
        permission="*",
    )
    wait_routed(gateway, deployed.api_id, "GET", "/things/special/x", "GET /things/special/{proxy+}")  # the last one
    return deployed


def route_of(gw: GatewayProcess, api_id: str, method: str, path: str) -> tuple[str, dict[str, str] | None]:
    resp = call(gw, api_id, method, path)
    assert resp.status_code == 200, (method, path, resp.status_code, resp.text)
    event = resp.json()["event"]
    return event["routeKey"], event.get("pathParameters")


@pytest.mark.parametrize(
    ("method", "path", "route", "params"),
    [
        ("GET", "/", "GET /", None),
        ("GET", "/pets", "GET /pets", None),
        ("POST", "/pets", "POST /pets", None),
        ("GET", "/pets/dog", "GET /pets/dog", None),
        ("GET", "/pets/7", "GET /pets/{id}", {"id": "7"}),
        ("GET", "/pets/a%20b", "GET /pets/{id}", {"id": "a b"}),
        ("GET", "/pets/7/toys", "ANY /pets/{id}/toys", {"id": "7"}),
        ("DELETE", "/pets/7/toys", "ANY /pets/{id}/toys", {"id": "7"}),
        ("GET", "/pets/7/toys/ball", "GET /pets/{proxy+}", {"proxy": "7/toys/ball"}),
        ("PUT", "/things/a/b", "ANY /things/{proxy+}", {"proxy": "a/b"}),
        ("GET", "/things/special/x", "GET /things/special/{proxy+}", {"proxy": "x"}),
    ],
)
def test_most_specific_route_wins(
    gateway: GatewayProcess, api: Deployed, method: str, path: str, route: str, params: dict[str, str] | None
) -> None:
    assert route_of(gateway, api.api_id, method, path) == (route, params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/pets"),
        ("GET", "/Pets"),
        ("GET", "/things"),
        ("GET", "/nothing/here"),
        ("GET", "/pets/"),
        ("PATCH", "/"),
    ],
)
def test_unmatched_is_not_found(gateway: GatewayProcess, api: Deployed, method: str, path: str) -> None:
    resp = call(gateway, api.api_id, method, path)
    assert resp.status_code == 404
    assert resp.json() == NOT_FOUND
    assert resp.headers["apigw-requestid"]


def test_method_without_route_on_a_routed_path_is_the_gateways_404(gateway: GatewayProcess, api: Deployed) -> None:
    # As AWS answered PUT/DELETE/PATCH/HEAD on a path with only GET and POST routes (ghals5737/bitcom,
    # measure/results/HBRC-FULL-0903/summary.json, 2026-09-03): 404, application/json, 23 bytes; HEAD without them.
    for method in ("PUT", "DELETE", "PATCH"):
        resp = call(gateway, api.api_id, method, "/pets")
        assert (resp.status_code, resp.json()) == (404, NOT_FOUND), method
        assert resp.headers["content-type"] == "application/json"
        assert resp.headers["content-length"] == "23"
    head = call(gateway, api.api_id, "HEAD", "/pets")
    assert (head.status_code, head.content) == (404, b"")
    assert head.headers["content-length"] == "23"


def test_raw_path_keeps_encoding(gateway: GatewayProcess, api: Deployed) -> None:
    event = call(gateway, api.api_id, "GET", "/pets/a%20b").json()["event"]
    assert event["rawPath"] == "/pets/a%20b"
    assert event["requestContext"]["http"]["path"] == "/pets/a%20b"


def test_default_route_catches_everything_else(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    deployed = deploy_api(clients, {"$default": {}, "GET /only": {}}, permission="*")
    # Not "GET /only is 200": a snapshot holding only `$default` already answers 200 through it.
    wait_routed(gateway, deployed.api_id, "GET", "/only", "GET /only")
    assert route_of(gateway, deployed.api_id, "GET", "/only") == ("GET /only", None)
    assert route_of(gateway, deployed.api_id, "DELETE", "/anything/at/all") == ("$default", None)
    assert route_of(gateway, deployed.api_id, "POST", "/only") == ("$default", None)


def test_unknown_api_and_api_without_default_stage(
    gateway: GatewayProcess, clients: dict[str, Any], control_url: str, tmp_path: Path
) -> None:
    unknown = call(gateway, "zzzzzzzz", "GET", "/pets")
    assert unknown.status_code == 404
    assert unknown.json() == NOT_FOUND
    unstaged = deploy_api(clients, {"GET /p": {}}, stage=False)
    named = deploy_api(clients, {"GET /p": {}}, stage=False)
    clients["apigatewayv2"].create_stage(ApiId=named.api_id, StageName="prod", AutoDeploy=True)
    manual = deploy_api(clients, {"GET /p": {}}, stage=False)
    clients["apigatewayv2"].create_stage(ApiId=manual.api_id, StageName="$default", AutoDeploy=False)
    control = deploy_api(clients, {"GET /p": {}})
    # Not the session gateway: it may hold any of these APIs as read half-made (before its route or stage),
    # which is a 404 too, and the control API's 200 says nothing about the others. A gateway started now reads
    # every API whole before READY, so each 404 below comes from the API's final state.
    gw = start_gateway(control_url, tmp_path)
    try:
        wait_routed(gw, control.api_id, "GET", "/p", "GET /p")
        for deployed in (unstaged, named, manual):
            resp = call(gw, deployed.api_id, "GET", "/p")
            assert resp.status_code == 404
            assert resp.json() == NOT_FOUND
            assert call(gw, deployed.api_id, "GET", "/prod/p").status_code == 404
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_route_without_integration_is_not_found(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    # GET /ok last: its route key proves the gateway holds the two routes made before it (a route not read yet
    # would be a 404 as well).
    deployed = deploy_api(
        clients, {"GET /none": {"target": None}, "GET /dangling": {"target": "integrations/nope"}, "GET /ok": {}}
    )
    wait_routed(gateway, deployed.api_id, "GET", "/ok", "GET /ok")
    assert call(gateway, deployed.api_id, "GET", "/none").status_code == 404
    dangling = call(gateway, deployed.api_id, "GET", "/dangling")
    assert dangling.status_code == 500
    assert dangling.json() == {"message": "Internal Server Error"}
