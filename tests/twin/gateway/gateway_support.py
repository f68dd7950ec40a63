"""Helpers for the gateway's tests: an OIDC/JWKS server with the tests' own RSA keys, token minting, Lambda
zips, HTTP APIs made with boto3, the gateway as a real subprocess, and HTTP calls to it by Host header."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ACCOUNT = "123456789012"

ECHO_SOURCE = """
import base64, json, os, time
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    q = event.get("queryStringParameters") or {}
    mode = q.get("mode", "")
    print(json.dumps({"probe": event["headers"].get("x-e2e-probe"), "count": COUNT}))
    if mode == "raise":
        raise ValueError("boom")
    if mode == "sleep":
        time.sleep(float(q["s"]))
    if mode == "raw":
        return json.loads(q["v"])
    if mode == "exit":
        os._exit(3)
    env = {k: os.environ.get(k) for k in ("AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_ENDPOINT_URL", "FOO")}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "access-control-allow-origin": "https://evil.example",
                    "x-count": str(COUNT)},
        "body": json.dumps({"event": event, "count": COUNT, "pid": os.getpid(), "env": env,
                            "remaining": context.get_remaining_time_in_millis()}),
    }
"""


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buf.getvalue()


# --- OIDC issuer with the tests' own keys -------------------------------------------------------------------


@dataclass
class Issuer:
    """One issuer served by the OIDC server: its keys, and knobs to misbehave."""

    name: str
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    delay_s: float = 0.0
    pad_bytes: int = 0
    fetches: int = 0
    pin_alg: bool = True  # JWKs name their algorithm (as Cognito's do)

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys[kid] = key
        return key

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update({"kid": kid, "use": "sig", **({"alg": "RS256"} if self.pin_alg else {})})
            keys.append(jwk)
        doc: dict[str, Any] = {"keys": keys}
        if self.pad_bytes:
            doc["padding"] = "x" * self.pad_bytes
        return doc


class OidcServer:
    """Serves `/{issuer}/.well-known/openid-configuration` and `/{issuer}/jwks.json` on loopback."""

    def __init__(self) -> None:
        self.issuers: dict[str, Issuer] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/", 1)
                issuer = owner.issuers.get(parts[0])
                if issuer is None or len(parts) < 2:
                    self.send_error(404)
                    return
                time.sleep(issuer.delay_s)
                if parts[1] == ".well-known/openid-configuration":
                    body = {"issuer": owner.issuer_id(issuer.name), "jwks_uri": f"{owner.url}/{issuer.name}/jwks.json"}
                elif parts[1] == "jwks.json":
                    issuer.fetches += 1
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the gateway hanging up on a deliberately slow issuer is expected, not worth a traceback

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @staticmethod
    def issuer_id(name: str) -> str:
        """The `iss` of tokens from this issuer: an https URL the gateway reaches through --issuer-map."""
        return f"https://idp.test/{name}"

    def add(self, name: str) -> Issuer:
        issuer = Issuer(name)
        issuer.add_key(f"{name}-k1")
        self.issuers[name] = issuer
        return issuer

    def stop(self) -> None:
        self._server.shutdown()


def mint(
    issuer: Issuer,
    claims: dict[str, Any],
    *,
    kid: str | None = None,
    alg: str = "RS256",
    key: Any = None,
    headers: dict[str, Any] | None = None,
) -> str:
    """A signed token; `iss`, `iat`, `exp` default to valid values."""
    now = int(time.time())
    body = {"iss": OidcServer.issuer_id(issuer.name), "iat": now, "exp": now + 3600, "sub": str(uuid.uuid4()), **claims}
    body = {k: v for k, v in body.items() if v is not None}
    kid = kid or next(iter(issuer.keys))
    signing_key = key if key is not None else issuer.keys[kid]
    return jwt.encode(body, signing_key, algorithm=alg, headers={"kid": kid, **(headers or {})})


# --- control plane resources ------------------------------------------------------------------------------


@dataclass
class Deployed:
    api_id: str
    function: str
    function_arn: str
    integration_id: str
    authorizer_id: str | None
    routes: dict[str, str]  # route key -> route id


def create_function(
    clients: dict[str, Any], name: str, source: str = ECHO_SOURCE, timeout: int = 10, env: dict[str, str] | None = None
) -> str:
    role = f"arn:aws:iam::{ACCOUNT}:role/gw-test-lambda"
    try:
        clients["iam"].create_role(RoleName="gw-test-lambda", AssumeRolePolicyDocument="{}")
    except clients["iam"].exceptions.EntityAlreadyExistsException:
        pass
    resp = clients["lambda"].create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": source})},
        Timeout=timeout,
        Environment={"Variables": env or {"FOO": "bar"}},
    )
    return str(resp["FunctionArn"])


def grant(clients: dict[str, Any], function: str, api_id: str, pattern: str = "*/*/*", sid: str = "apigw") -> None:
    clients["lambda"].add_permission(
        FunctionName=function,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{pattern}",
    )


def deploy_api(
    clients: dict[str, Any],
    routes: dict[str, dict[str, Any]],
    *,
    issuer: str | None = None,
    audience: list[str] | None = None,
    cors: dict[str, Any] | None = None,
    function: str | None = None,
    timeout_ms: int = 29000,
    permission: str | None = "*/*/*",
    stage: bool = True,
    function_source: str = ECHO_SOURCE,
    function_timeout: int = 10,
) -> Deployed:
    """An HTTP API with one Lambda proxy integration; `routes` maps route keys to {"auth": bool, "scopes": [...]}.

    The integration targets a new function, or the existing `function` when given (several APIs sharing one
    function share one resource policy). Order of creation: API (with its CORS), integration, authorizer, the
    routes in the order of `routes`, the `$default` stage, the permission. The gateway reads an API's routes
    before its stage, in one listing, so an answer through the LAST route's key (`wait_routed`) proves that the
    whole API is served; a 200 through any earlier route does not (a snapshot may hold only the first routes).
    """
    apigw = clients["apigatewayv2"]
    suffix = uuid.uuid4().hex[:8]
    if function is None:
        function = f"gw-fn-{suffix}"
        function_arn = create_function(clients, function, function_source, function_timeout)
    else:
        function_arn = str(clients["lambda"].get_function_configuration(FunctionName=function)["FunctionArn"])
    api = apigw.create_api(
        Name=f"gw-api-{suffix}", ProtocolType="HTTP", **({"CorsConfiguration": cors} if cors else {})
    )
    api_id = api["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
        TimeoutInMillis=timeout_ms,
    )
    authorizer_id = None
    if issuer:
        authorizer_id = apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            Name="jwt",
            JwtConfiguration={"Issuer": issuer, "Audience": audience or ["client-a"]},
        )["AuthorizerId"]
    route_ids = {}
    for key, spec in routes.items():
        extra: dict[str, Any] = {}
        if spec.get("auth"):
            extra = {"AuthorizationType": "JWT", "AuthorizerId": spec.get("authorizer_id", authorizer_id)}
            if spec.get("scopes"):
                extra["AuthorizationScopes"] = spec["scopes"]
        target = spec.get("target", f"integrations/{integration['IntegrationId']}")
        route = apigw.create_route(ApiId=api_id, RouteKey=key, **({"Target": target} if target else {}), **extra)
        route_ids[key] = route["RouteId"]
    if stage:
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    if permission:
        grant(clients, function, api_id, permission, sid=f"apigw-{api_id}")  # one sid per API: functions are shared
    return Deployed(api_id, function, function_arn, integration["IntegrationId"], authorizer_id, route_ids)


# --- the gateway process ----------------------------------------------------------------------------------


@dataclass
class GatewayProcess:
    proc: subprocess.Popen[str]
    url: str
    port: int
    state_dir: Path
    stderr_path: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_gateway(control_url: str, state_dir: Path, *extra: str, timeout: float = 60) -> GatewayProcess:
    state_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = state_dir / "gateway.stderr"
    cmd = [
        sys.executable,
        "-m",
        "twin.gateway",
        "--port",
        "0",
        "--control-url",
        control_url,
        "--state-dir",
        str(state_dir),
        *extra,
    ]
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
    stdout = proc.stdout
    assert stdout is not None
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not result or not result[0].startswith("READY "):
        proc.kill()
        proc.wait()
        raise AssertionError(f"gateway did not get ready: {result!r}\n{stderr_path.read_text()}")
    ready = json.loads(result[0][len("READY ") :])
    return GatewayProcess(proc, ready["url"], ready["port"], state_dir, stderr_path)


def call(
    gw: GatewayProcess,
    api_id: str | None,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    token: str | None = None,
    data: bytes | str | None = None,
    timeout: float = 15,
) -> requests.Response:
    """One request to the gateway, addressed to `api_id` by Host header (None: the bare address)."""
    hdrs = dict(headers or {})
    if api_id is not None:
        hdrs["Host"] = f"{api_id}.execute-api.localhost:{gw.port}"
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    return requests.request(method, gw.url + path, headers=hdrs, data=data, timeout=timeout, allow_redirects=False)


def routed(gw: GatewayProcess, api_id: str, method: str, path: str, **kwargs: Any) -> str | None:
    """The route key the echo function saw for this request, or None when it was not invoked with success (API or
    route not loaded yet: 404; permission not read yet: 500; ...)."""
    resp = call(gw, api_id, method, path, **kwargs)
    return resp.json()["event"]["routeKey"] if resp.status_code == 200 else None


def wait_routed(gw: GatewayProcess, api_id: str, method: str, path: str, route_key: str, **kwargs: Any) -> None:
    """Wait until `method path` reaches the echo function through `route_key` exactly: a 200 alone may come from
    another route (`$default`, a greedy one) of a snapshot that does not hold `route_key` yet."""
    eventually(lambda: routed(gw, api_id, method, path, **kwargs) == route_key)


def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy (bounded); returns that value or fails.

    Callers wait for an observable only the final state has, so the wait ends as soon as that state is served;
    the ceiling is generous because a refresh round, a Lambda cold start or both can take seconds when the
    machine is busy (2 cores shared with other test runs)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
