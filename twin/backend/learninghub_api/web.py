"""Payload-2.0 responses and the one exception routes raise to answer with an error status."""

from __future__ import annotations

import json
from typing import Any


class HttpError(Exception):
    """An answer other than success: `status` with body {"message": message}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def request_id(event: dict[str, Any]) -> str | None:
    return (event.get("requestContext") or {}).get("requestId")


def json_response(
    event: dict[str, Any], status: int, body: Any, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    out_headers = {"content-type": "application/json"}
    rid = request_id(event)
    if rid:
        out_headers["x-request-id"] = rid  # the CORS config exposes it so browsers can report it
    out_headers.update(headers or {})
    return {
        "statusCode": status,
        "headers": out_headers,
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }
