"""The control plane's own endpoints under /_twin/ (never an AWS path).

GET  /_twin/health                      {"status":"ok","moto":"5.2.5"}
GET  /_twin/lambda/{name}/code          the stored zip, header x-code-sha256 (= CodeSha256); 404 if unknown
POST /_twin/throttle                    {"service","ratio","seed"}: share of calls answered with
                                        TooManyRequestsException; ratio 0 turns it off
GET  /_twin/throttle                    the current throttle settings
"""

from __future__ import annotations

import json
import re
from typing import Any

import moto
from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.utils import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from werkzeug.wrappers import Request, Response

from .throttle import Throttle, ThrottleError

CODE_PATH = re.compile(r"^/_twin/lambda/(?P<name>[A-Za-z0-9_-]{1,64})/code$")
DEFAULT_REGION = "us-east-1"


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def handle(request: Request, throttle: Throttle) -> Response:
    path, method = request.path, request.method
    if path == "/_twin/health" and method == "GET":
        return _json(200, {"status": "ok", "moto": moto.__version__})
    if path == "/_twin/throttle" and method == "GET":
        return _json(200, {"throttle": throttle.state()})
    if path == "/_twin/throttle" and method == "POST":
        return _throttle(request, throttle)
    match = CODE_PATH.match(path)
    if match and method == "GET":
        return _lambda_code(match["name"], request.args.get("region", DEFAULT_REGION))
    return _json(404, {"message": f"no twin endpoint {method} {path}"})


def _throttle(request: Request, throttle: Throttle) -> Response:
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return _json(400, {"message": "body must be JSON: {\"service\": ..., \"ratio\": ..., \"seed\": ...}"})
    if not isinstance(body, dict):
        return _json(400, {"message": "body must be a JSON object"})
    try:
        applied = throttle.configure(body.get("service"), body.get("ratio"), body.get("seed"))
    except ThrottleError as exc:
        return _json(400, {"message": str(exc)})
    return _json(200, applied)


def _lambda_code(name: str, region: str) -> Response:
    try:
        function = get_backend(DEFAULT_ACCOUNT_ID, region).get_function(name)
    except UnknownFunctionException:
        return _json(404, {"message": f"Function not found: {name}"})
    response = Response(function.code_bytes, status=200, content_type="application/zip")
    response.headers["x-code-sha256"] = function.code_sha_256
    return response
