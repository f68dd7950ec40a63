"""The gateway's ASGI application: one HTTP API request from the socket to Lambda and back.

A plain ASGI callable rather than a framework app, because nothing a framework offers (its routing, its
error pages, its header handling) may show: every byte of the answer follows API Gateway's rules. The order
of steps is AWS's: limits, API by Host, route (or automatic CORS preflight), authorizer, integration,
resource policy, Lambda, response mapping, CORS headers.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from twin.gateway.authorizer import JwtValidator
from twin.gateway.cors import without_cors
from twin.gateway.payload import (
    MalformedResponse,
    RequestFacts,
    build_event,
    joined_headers,
    query_parameters,
    read_response,
)
from twin.gateway.policy import allows, source_arns
from twin.gateway.refresher import Refresher
from twin.gateway.snapshot import ApiSnapshot
from twin.lambdas import LambdaRunner

log = logging.getLogger("twin.gateway")

MAX_HEADER_BYTES = 10_240  # HTTP API quota: request line and header values
MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API quota: payload size
STAGE = "$default"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

NOT_FOUND = (404, b'{"message":"Not Found"}')
UNAUTHORIZED = (401, b'{"message":"Unauthorized"}')
FORBIDDEN = (403, b'{"message":"Forbidden"}')
SERVER_ERROR = (500, b'{"message":"Internal Server Error"}')
UNAVAILABLE = (503, b'{"message":"Service Unavailable"}')
JSON = (b"content-type", b"application/json")
TEXT = (b"content-type", b"text/plain")


@dataclass(frozen=True)
class Settings:
    region: str
    account_id: str
    default_api_id: str | None


class BodyTooLarge(Exception):
    pass


def new_request_id() -> str:
    """Looks like API Gateway's (`Mc7UVioPPHcEKPA=`): base64 of 11 random bytes."""
    return base64.b64encode(os.urandom(11)).decode()


def api_id_for_host(host: str, default_api_id: str | None) -> str | None:
    """`{api_id}.execute-api.<anything>[:port]` names the API; any other Host is the bare address."""
    name = host.split(":", 1)[0].lower() if not host.startswith("[") else ""
    if ".execute-api." in name:
        return name.split(".", 1)[0]
    return default_api_id


async def read_body(receive: Receive, declared: int | None) -> bytes:
    if declared is not None and declared > MAX_BODY_BYTES:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


class Gateway:
    """ASGI app serving every HTTP API of the control plane."""

    def __init__(self, settings: Settings, refresher: Refresher, validator: JwtValidator, runner: LambdaRunner) -> None:
        self._settings = settings
        self._refresher = refresher
        self._validator = validator
        self._runner = runner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request_id = new_request_id()
        try:
            status, headers, body = await self._handle(scope, receive, request_id)
        except Exception as exc:  # a gateway bug still answers like API Gateway, never with a framework page
            log.error("%s %s: internal error %s", scope.get("method"), scope.get("path"), type(exc).__name__)
            status, headers, body = SERVER_ERROR[0], [JSON], SERVER_ERROR[1]
        headers.append((b"apigw-requestid", request_id.encode()))
        if status != 204:  # RFC 9110: no Content-Length on 204
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._runner.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(self, scope: Scope, receive: Receive, request_id: str) -> tuple[int, Headers, bytes]:
        method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        raw_query: bytes = scope.get("query_string", b"")
        raw_headers: Headers = scope["headers"]
        size = len(method) + len(raw_path) + len(raw_query) + 12 + sum(len(n) + len(v) + 4 for n, v in raw_headers)
        if size > MAX_HEADER_BYTES:
            return 431, [TEXT], f"HTTP header is larger than {MAX_HEADER_BYTES} bytes.".encode()
        header_list = [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in raw_headers]
        headers = joined_headers(header_list)
        api_id = api_id_for_host(headers.get("host", ""), self._settings.default_api_id)
        snapshot = self._refresher.current
        api = None
        if api_id:
            api = snapshot.apis.get(api_id)
            if api is not None:
                self._refresher.touch(api_id)
        if api is None or not api.serving:
            return NOT_FOUND[0], [JSON], NOT_FOUND[1]
        # "For the OPTIONS method, your request must contain an origin header and an Access-Control-Request-Method
        # header" (HTTP API CORS page): an OPTIONS without the latter gets no CORS headers, routed or not.
        origin = headers.get("origin") if method != "OPTIONS" or headers.get("access-control-request-method") else None
        cors_headers = api.cors.response_headers(origin) if api.cors else []

        def gateway_error(answer: tuple[int, bytes], *extra: tuple[bytes, bytes]) -> tuple[int, Headers, bytes]:
            return answer[0], [JSON, *extra, *cors_headers], answer[1]

        try:
            declared = int(headers["content-length"]) if "content-length" in headers else None
            body = await read_body(receive, declared)
        except BodyTooLarge:
            return 413, [TEXT], f"HTTP content length exceeded {MAX_BODY_BYTES} bytes.".encode()
        except ValueError:
            return 400, [JSON], b'{"message":"Bad Request"}'

        path = raw_path.decode("latin-1")
        matched = api.routes.match(method, path)
        if matched is None:
            if method == "OPTIONS" and api.cors is not None:
                return 204, api.cors.preflight_headers(origin), b""
            return gateway_error(NOT_FOUND)
        route, path_params = matched
        query_text = raw_query.decode("latin-1")

        claims = scopes = None
        if route.authorization_type == "JWT":
            outcome = await self._validator.authorize(
                api.authorizers.get(route.authorizer_id or ""), route.scopes, headers, query_parameters(query_text)
            )
            if outcome.status == 500:
                log.warning("%s %s: route %s has no usable authorizer", method, path, route.route_key)
                return gateway_error(SERVER_ERROR)
            if outcome.status:
                auth = [(b"www-authenticate", outcome.www_authenticate.encode())] if outcome.www_authenticate else []
                return gateway_error(UNAUTHORIZED if outcome.status == 401 else FORBIDDEN, *auth)
            claims, scopes = outcome.claims, outcome.scopes
        elif route.authorization_type not in ("NONE", ""):
            # AWS_IAM and CUSTOM (Lambda) authorizers are not emulated: refuse, never let the request through.
            return gateway_error(FORBIDDEN if route.authorization_type == "AWS_IAM" else SERVER_ERROR)

        integration = api.integrations.get((route.target or "").removeprefix("integrations/"))
        if integration is None:
            log.warning("%s %s: route %s has no integration", method, path, route.route_key)
            return gateway_error(SERVER_ERROR if route.target else NOT_FOUND)
        function = integration.function
        if function is None or integration.payload_version != "2.0":
            log.warning(
                "%s %s: integration %s is not a Lambda proxy with payload 2.0", method, path, integration.integration_id
            )
            return gateway_error(SERVER_ERROR)
        arns = source_arns(
            self._settings.region,
            self._settings.account_id,
            api.api_id,
            STAGE,
            method,
            None if route.is_default else route.resource_path,
            path,
        )
        if not allows(snapshot.policies.get(function), arns, self._settings.account_id):
            log.warning("%s %s: the resource policy of %s does not allow %s", method, path, function, arns[0])
            return gateway_error(SERVER_ERROR)

        client = scope.get("client") or ("127.0.0.1", 0)
        server = scope.get("server") or ("127.0.0.1", 0)
        facts = RequestFacts(
            method=method,
            raw_path=path,
            raw_query=query_text,
            headers=header_list,
            body=body,
            source_ip=client[0],
            server_port=server[1],
            request_id=request_id,
            epoch_ms=int(time.time() * 1000),
        )
        event = build_event(
            facts,
            api_id=api.api_id,
            account_id=self._settings.account_id,
            host=headers.get("host", ""),
            route_key=route.route_key,
            path_params=path_params,
            stage=STAGE,
            stage_variables=api.stage_variables,
            claims=claims,
            scopes=scopes,
        )
        return await self._invoke(api, integration.uri, integration.timeout_ms, event, cors_headers, f"{method} {path}")

    async def _invoke(
        self, api: ApiSnapshot, target: str, timeout_ms: int, event: dict[str, Any], cors_headers: Headers, what: str
    ) -> tuple[int, Headers, bytes]:
        result = await self._runner.invoke(target, _dumps(event), timeout_ms / 1000)
        if result.status == "timeout":
            log.warning("%s: integration timed out after %d ms", what, timeout_ms)
            return UNAVAILABLE[0], [JSON, *cors_headers], UNAVAILABLE[1]
        if result.status == "error":
            log.warning("%s: function error %s", what, _error_type(result.payload))
            return SERVER_ERROR[0], [JSON, *cors_headers], SERVER_ERROR[1]
        try:
            status, headers, body = read_response(result.payload)
        except MalformedResponse as exc:
            log.warning("%s: malformed Lambda response: %s", what, exc)
            return SERVER_ERROR[0], [JSON, *cors_headers], SERVER_ERROR[1]
        if api.cors is not None:
            headers = without_cors(headers) + cors_headers
        return status, headers, body


def _error_type(payload: bytes) -> str:
    """Only the error type is logged: a function's error message may carry request data (tokens included)."""
    try:
        return str(json.loads(payload).get("errorType", "error"))
    except (ValueError, AttributeError):
        return "error"


def _dumps(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
