"""Lambda integration through the running gateway: resource-policy enforcement, function errors, timeouts,
request limits, warm environments and code updates."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.twin.gateway.gateway_support import (
    ACCOUNT,
    REGION,
    Deployed,
    GatewayProcess,
    call,
    create_function,
    deploy_api,
    eventually,
    grant,
    wait_routed,
    zip_of,
)

SERVER_ERROR = {"message": "Internal Server Error"}


@pytest.fixture(scope="module")
def api(clients: dict[str, Any], gateway: GatewayProcess) -> Deployed:
    deployed = deploy_api(clients, {"ANY /echo": {}}, function_timeout=2)
    eventually(lambda: call(gateway, deployed.api_id, "GET", "/echo").status_code == 200)
    return deployed


def test_function_error_and_crash_are_500(gateway: GatewayProcess, api: Deployed) -> None:
    for mode in ("raise", "exit"):
        resp = call(gateway, api.api_id, "GET", f"/echo?mode={mode}")
        assert resp.status_code == 500, mode
        assert resp.json() == SERVER_ERROR
        assert resp.headers["apigw-requestid"]
    assert call(gateway, api.api_id, "GET", "/echo").status_code == 200  # a fresh environment replaced the crashed one


def test_function_timeout_is_500_and_replaces_the_environment(gateway: GatewayProcess, api: Deployed) -> None:
    before = call(gateway, api.api_id, "GET", "/echo").json()["pid"]
    started = time.monotonic()
    resp = call(gateway, api.api_id, "GET", "/echo?mode=sleep&s=5")  # function Timeout is 2 s
    assert resp.status_code == 500
    assert 1.8 < time.monotonic() - started < 4.5
    after = call(gateway, api.api_id, "GET", "/echo").json()["pid"]
    assert after != before


def test_integration_timeout_is_503(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    deployed = deploy_api(clients, {"GET /slow": {}}, timeout_ms=500, function_timeout=10)
    eventually(lambda: call(gateway, deployed.api_id, "GET", "/slow").status_code == 200)
    started = time.monotonic()
    resp = call(gateway, deployed.api_id, "GET", "/slow?mode=sleep&s=2")
    elapsed = time.monotonic() - started
    assert resp.status_code == 503
    assert resp.json() == {"message": "Service Unavailable"}
    assert 0.4 < elapsed < 1.5


def test_warm_environment_keeps_module_state(gateway: GatewayProcess, api: Deployed, control_url: str) -> None:
    first = call(gateway, api.api_id, "GET", "/echo").json()
    second = call(gateway, api.api_id, "GET", "/echo").json()
    assert second["pid"] == first["pid"]
    assert second["count"] == first["count"] + 1
    assert first["env"] == {
        "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": api.function,
        "AWS_ENDPOINT_URL": control_url,
        "FOO": "bar",
    }


def test_code_update_starts_a_cold_environment(gateway: GatewayProcess, clients: dict[str, Any]) -> None:
    deployed = deploy_api(clients, {"GET /v": {}})
    eventually(lambda: call(gateway, deployed.api_id, "GET", "/v").status_code == 200)
    new_code = "def handler(event, context):\n    return {'version': 2}\n"
    clients["lambda"].update_function_code(FunctionName=deployed.function, ZipFile=zip_of({"app.py": new_code}))
    eventually(lambda: call(gateway, deployed.api_id, "GET", "/v").json() == {"version": 2})


class TestResourcePolicy:
    def test_no_permission_is_500_until_granted(self, gateway: GatewayProcess, clients: dict[str, Any]) -> None:
        deployed = deploy_api(clients, {"GET /p": {}, "GET /other": {}}, permission=None)
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/p").status_code == 500)
        assert call(gateway, deployed.api_id, "GET", "/p").json() == SERVER_ERROR
        grant(clients, deployed.function, deployed.api_id, "*/GET/other", sid="only-other")
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/other").status_code == 200)
        assert call(gateway, deployed.api_id, "GET", "/p").status_code == 500
        grant(clients, deployed.function, deployed.api_id, "$default/GET/p", sid="p")
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/p").status_code == 200)
        clients["lambda"].remove_permission(FunctionName=deployed.function, StatementId="p")
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/p").status_code == 500)

    def test_wildcards_follow_arn_like(self, gateway: GatewayProcess, clients: dict[str, Any]) -> None:
        deployed = deploy_api(clients, {"GET /items/{id}": {}}, permission="*/GET/items/*")
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/items/1").status_code == 200)
        # `other` and `template` share one function, hence one policy read: other's grant is made first, so once
        # template answers 200 the gateway holds other's grant too, and other's 500 is its ArnLike refusal, not a
        # policy not read yet.
        function = f"gw-fn-{uuid.uuid4().hex[:8]}"
        create_function(clients, function)
        other = deploy_api(clients, {"GET /items/{id}": {}}, function=function, permission="*/POST/*")
        template = deploy_api(clients, {"GET /items/{id}": {}}, function=function, permission="$default/GET/items/{id}")

        def statuses() -> tuple[int, int]:
            # Both requested each round: both stay hot, so the gateway re-reads both APIs and the shared policy.
            return (
                call(gateway, template.api_id, "GET", "/items/2").status_code,
                call(gateway, other.api_id, "GET", "/items/1").status_code,
            )

        eventually(lambda: (s := statuses())[0] == 200 and s[1] != 404 and s)  # != 404: other's route is read
        assert call(gateway, other.api_id, "GET", "/items/1").status_code == 500

    def test_default_route_needs_its_own_arn(self, gateway: GatewayProcess, clients: dict[str, Any]) -> None:
        # GET /probe (made after $default, covered by `*/*/*`) answering proves both routes and the `*/*/*` grant
        # are read; a 500 on $default before that could be a policy the gateway has not read yet.
        deployed = deploy_api(clients, {"$default": {}, "GET /probe": {}}, permission="*/*/*")
        wait_routed(gateway, deployed.api_id, "GET", "/probe", "GET /probe")
        # `api/$default/$default` has one slash too few for `*/*/*`: the guide's grant does not cover $default.
        assert call(gateway, deployed.api_id, "GET", "/x").status_code == 500
        grant(clients, deployed.function, deployed.api_id, "*/$default", sid="default-route")
        wait_routed(gateway, deployed.api_id, "GET", "/x", "$default")

    def test_source_account_condition(self, gateway: GatewayProcess, clients: dict[str, Any]) -> None:
        # Both APIs integrate with ONE function, so one get_policy read holds both statements; the bad-account
        # statement is added first, so a policy that lets `good` through (200) holds it too, and bad's 500 can
        # only come from its SourceAccount, never from a policy the gateway has not read yet.
        function = f"gw-fn-{uuid.uuid4().hex[:8]}"
        create_function(clients, function)
        bad = deploy_api(clients, {"GET /p": {}}, function=function, permission=None)
        good = deploy_api(clients, {"GET /p": {}}, function=function, permission=None)

        def allow(deployed: Deployed, sid: str, account: str) -> None:
            clients["lambda"].add_permission(
                FunctionName=function,
                StatementId=sid,
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceAccount=account,
                SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{deployed.api_id}/*",
            )

        allow(bad, "bad-account", "999999999999")
        allow(good, "good-account", ACCOUNT)

        def statuses() -> tuple[int, int]:
            # Both requested each round: both stay hot, so the gateway re-reads both APIs and the shared policy.
            return (
                call(gateway, good.api_id, "GET", "/p").status_code,
                call(gateway, bad.api_id, "GET", "/p").status_code,
            )

        # bad != 404: its route is in the snapshot (an API read before its route was created answers 404).
        eventually(lambda: (s := statuses())[0] == 200 and s[1] != 404 and s)
        resp = call(gateway, bad.api_id, "GET", "/p")
        assert resp.status_code == 500
        assert resp.json() == SERVER_ERROR
        # The same statement with the right account lets bad through: its ARN and route were never the problem.
        allow(bad, "bad-fixed", ACCOUNT)
        wait_routed(gateway, bad.api_id, "GET", "/p", "GET /p")

    def test_missing_function_is_500(self, gateway: GatewayProcess, clients: dict[str, Any]) -> None:
        deployed = deploy_api(clients, {"GET /p": {}})
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/p").status_code == 200)
        clients["lambda"].delete_function(FunctionName=deployed.function)
        eventually(lambda: call(gateway, deployed.api_id, "GET", "/p").status_code == 500)
        assert call(gateway, deployed.api_id, "GET", "/p").json() == SERVER_ERROR


class TestLimits:
    def test_oversized_headers(self, gateway: GatewayProcess, api: Deployed) -> None:
        assert call(gateway, api.api_id, "GET", "/echo", headers={"x-big": "a" * 9000}).status_code == 200
        resp = call(gateway, api.api_id, "GET", "/echo", headers={"x-big": "a" * 10_300})
        assert resp.status_code == 431
        assert resp.text == "HTTP header is larger than 10240 bytes."  # the text seen from API Gateway (README)
        assert resp.headers["apigw-requestid"]

    def test_oversized_body(self, gateway: GatewayProcess, api: Deployed) -> None:
        resp = call(
            gateway,
            api.api_id,
            "POST",
            "/echo",
            data=b"x" * (10 * 1024 * 1024 + 1),
            headers={"content-type": "application/octet-stream"},
        )
        assert resp.status_code == 413
        assert resp.headers["apigw-requestid"]

    def test_oversized_chunked_body(self, gateway: GatewayProcess, api: Deployed) -> None:
        def chunks() -> Any:
            for _ in range(11):
                yield b"y" * (1024 * 1024)

        resp = requests.post(
            gateway.url + "/echo",
            data=chunks(),
            timeout=30,
            headers={"Host": f"{api.api_id}.execute-api.localhost:{gateway.port}"},
        )
        assert resp.status_code == 413
