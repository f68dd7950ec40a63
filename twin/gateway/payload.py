"""Payload format 2.0: the event API Gateway sends to Lambda, and how it reads the function's answer.

Hand-written from the AWS documentation (aws-semantics.md section 3); no library builds this event for a
server. Notable rules: header names lower-cased and repeats comma-joined, cookies moved to `cookies`, query
repeats comma-joined, JWT claims all strings with arrays as `[a b]`, `scopes` null on unscoped routes, binary
bodies base64-encoded; a result without `statusCode` is a 200 application/json whose body is the result.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "application/ecmascript")
HOP_BY_HOP = {b"connection", b"content-length", b"transfer-encoding", b"keep-alive", b"upgrade", b"date"}


class MalformedResponse(Exception):
    """The function's result is not a valid 2.0 response (API Gateway answers 500)."""


@dataclass(frozen=True)
class RequestFacts:
    """What the gateway knows about one request, already parsed."""

    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]  # lower-case names, in arrival order, repeats kept
    body: bytes
    source_ip: str
    server_port: int
    request_id: str
    epoch_ms: int


def joined_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers comma-joined, as payload 2.0 presents them."""
    out: dict[str, str] = {}
    for name, value in headers:
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def query_parameters(raw_query: str) -> dict[str, str]:
    """Decoded query parameters, repeats comma-joined."""
    out: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def claim_text(value: Any) -> str:
    """One claim as the authorizer forwards it: strings as-is, numbers and booleans printed, arrays `[a b]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + " ".join(claim_text(v) for v in value) + "]"
    return json.dumps(value, separators=(",", ":"))


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    return {name: claim_text(value) for name, value in claims.items() if value is not None}


def is_text(content_type: str | None) -> bool:
    """Bodies of these types reach Lambda as text; everything else (and no type at all) as base64."""
    if not content_type:
        return False
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype.startswith(TEXT_TYPES) or ctype.endswith(("+json", "+xml"))


def build_event(
    facts: RequestFacts,
    *,
    api_id: str,
    account_id: str,
    host: str,
    route_key: str,
    path_params: dict[str, str],
    stage: str,
    stage_variables: dict[str, str],
    claims: dict[str, Any] | None,
    scopes: list[str] | None,
) -> dict[str, Any]:
    """The payload 2.0 event for one request."""
    cookies: list[str] = []
    kept: list[tuple[str, str]] = []
    for name, value in facts.headers:
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            kept.append((name, value))
    headers = joined_headers(kept)
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {facts.source_ip}" if forwarded else facts.source_ip
    headers["x-forwarded-port"] = str(facts.server_port)
    headers["x-forwarded-proto"] = "http"
    headers.setdefault("x-amzn-trace-id", f"Root=1-{facts.epoch_ms // 1000:08x}-{secrets.token_hex(12)}")
    when = time.gmtime(facts.epoch_ms / 1000)
    domain = host.split(":", 1)[0] if host else ""
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": domain.split(".", 1)[0] if ".execute-api." in domain else api_id,
        "http": {
            "method": facts.method,
            "path": facts.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": facts.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": facts.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", when),
        "timeEpoch": facts.epoch_ms,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": flatten_claims(claims), "scopes": scopes}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": facts.raw_path,
        "rawQueryString": facts.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if facts.raw_query:
        event["queryStringParameters"] = query_parameters(facts.raw_query)
    event["requestContext"] = context
    if facts.body:
        if is_text(headers.get("content-type")):
            try:
                event["body"] = facts.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(facts.body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(facts.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_params:
        event["pathParameters"] = path_params
    if stage_variables:
        event["stageVariables"] = stage_variables
    return event


def read_response(payload: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) from the function's 2.0 result; raises MalformedResponse."""
    try:
        result = json.loads(payload)
    except ValueError as exc:
        raise MalformedResponse("result is not JSON") from exc
    json_type = [(b"content-type", b"application/json")]
    if not isinstance(result, dict) or "statusCode" not in result:
        body = result.encode() if isinstance(result, str) else payload
        return 200, json_type, body
    status = result["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse("statusCode must be an integer HTTP status")
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, dict) or not all(isinstance(v, str) for v in raw_headers.values()):
        raise MalformedResponse("headers must map names to strings")
    headers = [
        (str(k).lower().encode(), v.encode())
        for k, v in raw_headers.items()
        if str(k).lower().encode() not in HOP_BY_HOP
    ]
    if not any(name == b"content-type" for name, _ in headers):
        # With a statusCode the body is not assumed to be JSON: AWS answered text/plain (twin/gateway/README.md).
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResponse("cookies must be a list of strings")
    headers.extend((b"set-cookie", c.encode()) for c in cookies)
    body_value = result.get("body")
    if body_value is None:
        body = b""
    elif isinstance(body_value, str):
        body = body_value.encode()
    else:
        raise MalformedResponse("body must be a string")
    if result.get("isBase64Encoded") is True:
        try:
            body = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise MalformedResponse("body is not valid base64") from exc
    return status, headers, body
