"""The control plane's own endpoints under /_twin/ (never an AWS path).

GET  /_twin/health                      {"status":"ok","moto":"5.2.5"}
GET  /_twin/lambda/{name}/code          the stored zip, header x-code-sha256 (= CodeSha256); 404 if unknown
POST /_twin/throttle                    {"service","ratio","seed"}: share of calls answered with
                                        TooManyRequestsException, or {"service":"cognito-idp","quota_scale"}:
                                        Cognito's per-category quotas scaled; ratio 0 turns either off
GET  /_twin/throttle                    the current throttle settings
POST /_twin/outage                      {"service","seconds"}: every call of the service ("*": all) gets an
                                        internal error (HTTP 500) for that long; seconds 0 ends it
GET  /_twin/outage                      the active outages (seconds left) and how many calls each service's
                                        latest outage answered
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import moto
from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.utils import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID
from werkzeug.wrappers import Request, Response

from .outage import OutageError, Outages
from .throttle import Throttle, ThrottleError

CODE_PATH = re.compile(r"^/_twin/lambda/(?P<name>[A-Za-z0-9_-]{1,64})/code$")
DEFAULT_REGION = "us-east-1"


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def handle(request: Request, throttle: Throttle, outages: Outages) -> Response:
    path, method = request.path, request.method
    if path == "/_twin/health" and method == "GET":
        return _json(200, {"status": "ok", "moto": moto.__version__})
    if path == "/_twin/throttle" and method == "GET":
        return _json(200, {"throttle": throttle.state()})
    if path == "/_twin/throttle" and method == "POST":
        return _apply(request, throttle.configure, ThrottleError, '{"service": ..., "ratio": ..., "seed": ...}')
    if path == "/_twin/outage" and method == "GET":
        return _json(200, outages.state())
    if path == "/_twin/outage" and method == "POST":
        return _apply(request, outages.start, OutageError, '{"service": ..., "seconds": ...}')
    match = CODE_PATH.match(path)
    if match and method == "GET":
        return _lambda_code(match["name"], request.args.get("region", DEFAULT_REGION))
    return _json(404, {"message": f"no twin endpoint {method} {path}"})


def _apply(
    request: Request, apply: Callable[[dict[str, Any]], dict[str, object]], refused: type[ValueError], shape: str
) -> Response:
    """A POST of a JSON object to a setting: 200 with what was applied, or 400 {"message"}."""
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return _json(400, {"message": f"body must be JSON: {shape}"})
    if not isinstance(body, dict):
        return _json(400, {"message": f"body must be a JSON object: {shape}"})
    try:
        return _json(200, apply(body))
    except refused as exc:
        return _json(400, {"message": str(exc)})


def _lambda_code(name: str, region: str) -> Response:
    try:
        function = get_backend(DEFAULT_ACCOUNT_ID, region).get_function(name)
    except UnknownFunctionException:
        return _json(404, {"message": f"Function not found: {name}"})
    response = Response(function.code_bytes, status=200, content_type="application/zip")
    response.headers["x-code-sha256"] = function.code_sha_256
    return response
