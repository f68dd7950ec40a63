"""Payload format 2.0 through the running gateway: the event the Lambda receives and how its result becomes
the HTTP response."""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
from typing import Any
from urllib.parse import quote

import pytest

from tests.twin.gateway.gateway_support import Deployed, GatewayProcess, call, deploy_api, wait_routed


@pytest.fixture(scope="module")
def api(clients: dict[str, Any], gateway: GatewayProcess) -> Deployed:
    deployed = deploy_api(clients, {"ANY /echo": {}, "GET /items/{itemId}": {}})
    wait_routed(gateway, deployed.api_id, "GET", "/items/1", "GET /items/{itemId}")  # the last route (deploy_api)
    return deployed


def raw_request(
    gw: GatewayProcess, api_id: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """http.client, so that repeated headers reach the gateway as separate lines."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=15)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{api_id}.execute-api.localhost:{gw.port}")
        for name, value in headers:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def event_of(
    gw: GatewayProcess,
    api: Deployed,
    method: str,
    path: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    status, resp_headers, data = raw_request(gw, api.api_id, method, path, headers or [], body)
    assert status == 200, data
    return json.loads(data)["event"], resp_headers


def test_headers_cookies_and_query(gateway: GatewayProcess, api: Deployed) -> None:
    event, _ = event_of(
        gateway,
        api,
        "GET",
        "/echo?a=1&a=2&b=x%20y&empty=",
        [
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("Cookie", "c1=v1; c2=v2"),
            ("Cookie", "c3=v3"),
            ("User-Agent", "probe/1.0"),
            ("X-Forwarded-For", "10.0.0.9"),
        ],
    )
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-multi"] == "one,two"
    assert "cookie" not in headers
    assert event["cookies"] == ["c1=v1", "c2=v2", "c3=v3"]
    assert headers["x-forwarded-for"] == "10.0.0.9, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == str(gateway.port)
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["x-amzn-trace-id"])
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&empty="
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "empty": ""}
    assert event["requestContext"]["http"]["userAgent"] == "probe/1.0"


def test_absent_parts_are_absent(gateway: GatewayProcess, api: Deployed) -> None:
    event, _ = event_of(gateway, api, "GET", "/echo")
    for key in ("cookies", "queryStringParameters", "pathParameters", "body", "stageVariables"):
        assert key not in event, key
    assert "authorizer" not in event["requestContext"]
    assert event["rawQueryString"] == ""
    assert event["isBase64Encoded"] is False


def test_request_context(gateway: GatewayProcess, api: Deployed) -> None:
    before = int(time.time() * 1000)
    event, headers = event_of(gateway, api, "GET", "/items/42")
    ctx = event["requestContext"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == ctx["routeKey"] == "GET /items/{itemId}"
    assert event["pathParameters"] == {"itemId": "42"}
    assert ctx["accountId"] == "123456789012"
    assert ctx["apiId"] == api.api_id
    assert ctx["domainName"] == f"{api.api_id}.execute-api.localhost:{gateway.port}"
    assert ctx["domainPrefix"] == api.api_id
    assert ctx["http"] == {
        "method": "GET",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "",
    }
    assert ctx["requestId"] == headers["apigw-requestid"]
    assert ctx["stage"] == "$default"
    assert before - 5 <= ctx["timeEpoch"] <= int(time.time() * 1000) + 5
    assert time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ctx["timeEpoch"] / 1000)) == ctx["time"]


@pytest.mark.parametrize(
    ("content_type", "base64_expected"),
    [
        ("application/json", False),
        ("text/plain; charset=utf-8", False),
        ("application/vnd.api+json", False),
        ("application/octet-stream", True),
        ("image/png", True),
        ("application/x-www-form-urlencoded", True),
    ],
)
def test_bodies(gateway: GatewayProcess, api: Deployed, content_type: str, base64_expected: bool) -> None:
    body = '{"answer": "é"}'.encode()
    event, _ = event_of(gateway, api, "POST", "/echo", [("Content-Type", content_type)], body)
    assert event["isBase64Encoded"] is base64_expected
    sent = base64.b64decode(event["body"]) if base64_expected else event["body"].encode()
    assert sent == body


def test_binary_body_that_is_not_utf8_is_base64_even_as_text(gateway: GatewayProcess, api: Deployed) -> None:
    event, _ = event_of(gateway, api, "POST", "/echo", [("Content-Type", "text/plain")], b"\xff\xfe\x00")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe\x00"


def result(gw: GatewayProcess, api: Deployed, value: Any) -> Any:
    return call(gw, api.api_id, "GET", "/echo?mode=raw&v=" + quote(json.dumps(value)))


def test_result_without_status_code_is_200_json(gateway: GatewayProcess, api: Deployed) -> None:
    resp = result(gateway, api, {"message": "hi"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {"message": "hi"}
    text = result(gateway, api, "Hello from Lambda!")
    assert (text.status_code, text.text) == (200, "Hello from Lambda!")
    assert result(gateway, api, [1, 2]).json() == [1, 2]


def test_full_result_shape(gateway: GatewayProcess, api: Deployed) -> None:
    resp = result(
        gateway,
        api,
        {
            "statusCode": 201,
            "headers": {"X-Custom": "yes", "content-type": "text/plain"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "made",
        },
    )
    assert resp.status_code == 201
    assert resp.headers["x-custom"] == "yes"
    assert resp.headers["content-type"] == "text/plain"
    assert resp.raw.headers.getlist("set-cookie") == ["a=1; Path=/", "b=2"]
    assert resp.text == "made"
    binary = result(
        gateway,
        api,
        {
            "statusCode": 200,
            "isBase64Encoded": True,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\x01\xff").decode(),
        },
    )
    assert binary.content == b"\x00\x01\xff"
    empty = result(gateway, api, {"statusCode": 204})
    assert (empty.status_code, empty.content) == (204, b"")


def test_result_with_status_code_but_no_content_type_is_plain_text(gateway: GatewayProcess, api: Deployed) -> None:
    # AWS's answer to exactly this result (aasisodiya.github.io nodejs-aws-apigw, HTTP API, 2020-04-09): the body
    # as returned, `text/plain; charset=utf-8`; a content-type the function sets is kept as is, even "text".
    resp = result(gateway, api, {"statusCode": 200, "body": json.dumps("Hello from Lambda!")})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.text == '"Hello from Lambda!"'
    own = result(gateway, api, {"statusCode": 200, "body": "x", "headers": {"Content-Type": "text"}})
    assert own.headers["content-type"] == "text"


@pytest.mark.parametrize(
    "bad",
    [
        {"statusCode": "200", "body": "x"},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "headers": {"x": 1}},
        {"statusCode": 99},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "isBase64Encoded": True, "body": "***"},
    ],
)
def test_malformed_result_is_500(gateway: GatewayProcess, api: Deployed, bad: dict[str, Any]) -> None:
    resp = result(gateway, api, bad)
    assert resp.status_code == 500
    assert resp.json() == {"message": "Internal Server Error"}
