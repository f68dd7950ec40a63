"""Payload-2.0 events as the HTTP API builds them, and the backend's log lines read back."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

SUB = "5f1c7a52-0d51-4c3e-9d0a-9b8f2f0b1a11"
OTHER_SUB = "0b2e5c1d-7a44-4e0f-8b1c-3c6d9e2f4a55"


def make_event(
    route_key: str,
    path: str,
    *,
    claims: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    base64_body: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload-2.0 event as the HTTP API builds it (lower-case headers, string claims)."""
    method = route_key.split(" ", 1)[0]
    raw_body = None if body is None else body if isinstance(body, str) else json.dumps(body)
    if raw_body is not None and base64_body:
        raw_body = base64.b64encode(raw_body.encode()).decode()
    request_id = uuid.uuid4().hex[:16] + "="
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {
            "accept": "application/json",
            "host": "abcdefgh.execute-api.us-east-1.amazonaws.com",
            "user-agent": "pytest",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefgh",
            "domainName": "abcdefgh.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abcdefgh",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": base64_body,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if raw_body is not None:
        event["body"] = raw_body
    return event


def id_claims(sub: str = SUB, username: str = "alice", email: str = "alice@example.test") -> dict[str, str]:
    now = int(time.time())
    return {
        "sub": sub,
        "aud": "webclient",
        "token_use": "id",
        "cognito:username": username,
        "email": email,
        "email_verified": "true",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x",
        "iat": str(now),
        "exp": str(now + 3600),
        "auth_time": str(now),
    }


def log_lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
