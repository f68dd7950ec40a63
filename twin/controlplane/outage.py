"""Answer every call of a service with an internal error for a few seconds (a control-plane outage).

Hand-written: a deadline per service and the error each protocol uses for an internal failure; nothing in moto
or a library breaks a service for a while. The clock is injectable so tests can move time instead of sleeping.

The answers (controlplane/README.md has the sources):
- cognito-idp, cognito-identity: HTTP 500 `InternalErrorException` (JSON 1.1, `x-amzn-ErrorType`);
- lambda: HTTP 500 `ServiceException` (REST-JSON, `x-amzn-ErrorType`);
- every other service: HTTP 500 `InternalFailure`, AWS's common error, in the service's own protocol
  (JSON 1.1 for logs and secretsmanager, REST-JSON for apigatewayv2, the query XML for iam and sts, EC2's XML).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable

SERVICES = ("cognito-idp", "cognito-identity", "lambda", "apigatewayv2", "logs", "iam", "sts", "ec2", "secretsmanager")
ALL = "*"
MAX_SECONDS = 300.0
MESSAGE = "The request processing has failed because of an unknown error, exception or failure."

_JSON_CODES = {
    "cognito-idp": "InternalErrorException",
    "cognito-identity": "InternalErrorException",
    "logs": "InternalFailure",
    "secretsmanager": "InternalFailure",
}
_QUERY = {"iam", "sts"}


class OutageError(ValueError):
    """An outage request that cannot be applied."""


class Outages:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}
        self._answered: dict[str, int] = {}  # of each service's latest outage

    def start(self, body: dict[str, object]) -> dict[str, object]:
        """Apply a POST /_twin/outage body: break `service` (or every service, "*") for `seconds`; 0 ends it."""
        service, seconds = body.get("service"), body.get("seconds")
        if service != ALL and service not in SERVICES:
            raise OutageError(f"service must be one of {[*SERVICES, ALL]}")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_SECONDS:
            raise OutageError(f"seconds must be a number from 0 (ends the outage) to {MAX_SECONDS:g}")
        names = SERVICES if service == ALL else (str(service),)
        with self._lock:
            until = self.clock() + seconds
            for name in names:
                if seconds:
                    self._until[name] = until
                    self._answered[name] = 0
                else:
                    self._until.pop(name, None)
        return {"service": service, "seconds": float(seconds)}

    def state(self) -> dict[str, object]:
        with self._lock:
            now = self.clock()
            active = {
                name: {"seconds_left": round(until - now, 3)} for name, until in self._until.items() if until > now
            }
            return {"active": active, "answered": dict(self._answered)}

    def hit(self, service: str | None) -> bool:
        """Whether this call of `service` meets an outage (and is then counted)."""
        if service is None or not self._until:
            return False
        with self._lock:
            until = self._until.get(service)
            if until is None:
                return False
            if self.clock() >= until:
                del self._until[service]
                return False
            self._answered[service] += 1
            return True


def error_answer(service: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of an internal failure as `service`'s protocol carries it."""
    request_id = str(uuid.uuid4())
    if service in _JSON_CODES:
        code = _JSON_CODES[service]
        return (
            500,
            [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", f"{code}:"),
                ("x-amzn-RequestId", request_id),
            ],
            json.dumps({"__type": code, "message": MESSAGE}).encode(),
        )
    if service in ("lambda", "apigatewayv2"):
        code, body = (
            ("ServiceException", {"Type": "Service", "Message": MESSAGE})
            if service == "lambda"
            else ("InternalFailure", {"message": MESSAGE})
        )
        return (
            500,
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)],
            json.dumps(body).encode(),
        )
    error = f"<Code>InternalFailure</Code><Message>{MESSAGE}</Message>"
    xml = (
        f"<ErrorResponse><Error><Type>Receiver</Type>{error}</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        if service in _QUERY
        else f"<Response><Errors><Error>{error}</Error></Errors><RequestID>{request_id}</RequestID></Response>"
    )
    return 500, [("Content-Type", "text/xml")], f'<?xml version="1.0" encoding="UTF-8"?>{xml}'.encode()
