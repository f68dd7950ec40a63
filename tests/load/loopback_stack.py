"""A small loopback stand-in for the stack, for the load suite's own tests (the twin replaces it later).

- moto's Cognito in a ThreadedMotoServer, behind `CognitoProxy`: a real HTTP forwarder that counts
  every Cognito call by operation, can answer a seeded share of calls with Cognito's throttling
  error, and keeps every password and token that crossed it so tests can prove none leaked.
- `ApiServer`: the reference API's routes over HTTP/1.1 keep-alive, checking bearer tokens against
  moto's JWKS (signature, expiry, audience or client_id) and recording which user (`sub`) each
  load worker (`x-e2e-probe`) used.

Hand-written because the tests need exactly these observation points on real sockets.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import jwt
import requests
from botocore.config import Config
from moto.server import ThreadedMotoServer

from tests.ports import free_port

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}")
THROTTLED = json.dumps({"__type": "TooManyRequestsException", "message": "Rate exceeded"}).encode()
COURSES = [
    {"id": i, "code": f"C-{i:03d}", "title": f"Course {i}", "credits": 3, "price": "49.00", "published": True}
    for i in range(1, 21)
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 overflows when ten users connect at once: the kernel drops the SYN
    # and the client retries after 1 s, a latency of the test stack, not of anything under test.
    request_queue_size = 128


class CognitoProxy:
    """Forwards Cognito JSON calls to moto, counting them; `throttle` is the share answered 400."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.calls: Counter[str] = Counter()
        self.throttled = 0
        self.throttle = 0.0
        self.secrets: set[str] = set()
        self._random = random.Random(1)
        self._lock = threading.Lock()
        self._session = requests.Session()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, throttle: float = 0.0) -> None:
        with self._lock:
            self.calls.clear()
            self.throttled = 0
            self.throttle = throttle

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        target = headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        with self._lock:
            if target:
                self.calls[target] += 1
            self._keep_secrets(body)
            if target and self.throttle and self._random.random() < self.throttle:
                self.throttled += 1
                return 400, {"Content-Type": "application/x-amz-json-1.1"}, THROTTLED
        keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
        reply = self._session.request(method, self.upstream + path, headers=keep, data=body, timeout=30)
        with self._lock:
            self._keep_secrets(reply.content)
        out = {"Content-Type": reply.headers.get("Content-Type", "application/json")}
        return reply.status_code, out, reply.content

    def _keep_secrets(self, body: bytes) -> None:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return
        found: list[str] = []
        _collect(data, found)
        self.secrets.update(found)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = proxy._forward(self.command, self.path, dict(self.headers), body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _relay

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _collect(data: Any, found: list[str]) -> None:
    secret_keys = {"Password", "PASSWORD", "IdToken", "AccessToken", "RefreshToken", "REFRESH_TOKEN"}
    if isinstance(data, dict):
        for k, v in data.items():
            if k in secret_keys and isinstance(v, str):
                found.append(v)
            else:
                _collect(v, found)
    elif isinstance(data, list):
        for v in data:
            _collect(v, found)


class ApiServer:
    """The reference API's routes with a bearer-token check, and two faults: `fail_course_views`
    answers 500 on GET /courses/{id}, `rename_course_list` sends the list under another key."""

    def __init__(self, jwks_url: str, client_id: str) -> None:
        self.client_id = client_id
        self._jwks = jwt.PyJWKClient(jwks_url)
        self._verified: dict[str, dict[str, Any]] = {}
        self.tokens_seen: set[str] = set()
        self.subs_by_probe: dict[str, set[str]] = defaultdict(set)
        self.requests: Counter[str] = Counter()
        self.rejected = 0
        self.fail_course_views = False
        self.rename_course_list = False
        self.delay_s = 0.0
        self._exams: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.tokens_seen.clear()
            self.subs_by_probe.clear()
            self.requests.clear()
            self.rejected = 0
            self.fail_course_views = False
            self.rename_course_list = False
            self.delay_s = 0.0

    def claims(self, header: str) -> dict[str, Any] | None:
        if not header.startswith("Bearer "):
            return None
        token = header[7:]
        with self._lock:
            cached = self._verified.get(token)
        if cached is None:
            try:
                key = self._jwks.get_signing_key_from_jwt(token)
                cached = jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})
            except jwt.PyJWTError:
                return None
            if self.client_id not in (cached.get("aud"), cached.get("client_id")):
                return None
            with self._lock:
                self._verified[token] = cached
        if cached["exp"] < time.time():
            return None
        with self._lock:
            self.tokens_seen.add(token)
        return cached

    def route(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        if method == "GET" and path == "/health":
            return 200, {"status": "ok"}
        claims = self.claims(headers.get("Authorization", ""))
        if claims is None:
            with self._lock:
                self.rejected += 1
            return 401, {"message": "Unauthorized"}
        if self.delay_s:
            time.sleep(self.delay_s)
        sub = claims["sub"]
        with self._lock:
            self.subs_by_probe[headers.get("x-e2e-probe", "")].add(sub)
        if method == "GET" and path == "/courses":
            return self._count("/courses", 200, {"items" if self.rename_course_list else "courses": COURSES})
        if m := re.fullmatch(r"/courses/(\d+)", path):
            if self.fail_course_views:
                return self._count("/courses/[id]", 500, {"message": "Internal Server Error"})
            course = next((c for c in COURSES if c["id"] == int(m[1])), None)
            if course is None:
                return self._count("/courses/[id]", 404, {"message": "course not found"})
            return self._count("/courses/[id]", 200, {**course, "description": "A course."})
        if method == "POST" and path == "/exams":
            data = json.loads(body or b"{}")
            with self._lock:
                exam_id = len(self._exams) + 1
                self._exams[exam_id] = {
                    "id": exam_id,
                    "courseId": data["courseId"],
                    "answers": data["answers"],
                    "submittedAt": "2025-01-01T00:00:00Z",
                    "sub": sub,
                }
            return self._count("/exams", 201, {"id": exam_id})
        if m := re.fullmatch(r"/exams/(\d+)", path):
            exam = self._exams.get(int(m[1]))
            if exam is None or exam["sub"] != sub:
                return self._count("/exams/[id]", 404, {"message": "exam not found"})
            return self._count("/exams/[id]", 200, {k: v for k, v in exam.items() if k != "sub"})
        return 404, {"message": "Not Found"}

    def _count(self, name: str, status: int, body: Any) -> tuple[int, Any]:
        with self._lock:
            self.requests[name] += 1
        return status, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = api.route(self.command, self.path.split("?")[0], self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@dataclass
class Stack:
    moto: ThreadedMotoServer
    moto_url: str
    cognito: CognitoProxy
    api: ApiServer
    user_pool_id: str
    client_id: str

    def idp(self) -> Any:
        """A boto3 client straight to moto (not counted by the proxy)."""
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )

    def pool_usernames(self) -> list[str]:
        users = self.idp().list_users(UserPoolId=self.user_pool_id)["Users"]
        return [u["Username"] for u in users]

    def write_env(
        self,
        path: Path,
        *,
        protected: bool = False,
        base_url: str | None = None,
        endpoint_url: str | None = None,
        user_pool_id: str | None = None,
        profile: str = "",
    ) -> Path:
        path.write_text(
            f"""[env]
name = "load-test-stack"
protected = {str(protected).lower()}
[aws]
region = "us-east-1"
endpoint_url = "{endpoint_url or self.cognito.url}"
{f'profile = "{profile}"' if profile else ""}
[cognito]
user_pool_id = "{user_pool_id or self.user_pool_id}"
client_id = "{self.client_id}"
[api]
api_id = "loopback"
base_url = "{base_url or self.api.url}"
allowed_origins = ["https://app.learninghub.test"]
public_routes = ["GET /health"]
protected_routes = ["GET /courses", "GET /courses/{{courseId}}", "POST /exams", "GET /exams/{{examId}}"]
[lambda]
function_name = "learninghub-api"
[database]
secret_id = "learninghub/sqlserver"
canary_course_id = 9001
"""
        )
        return path

    def stop(self) -> None:
        self.api.server.shutdown()
        self.cognito.server.shutdown()
        self.moto.stop()


def start_stack() -> Stack:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    moto_url = f"http://127.0.0.1:{port}"
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool = idp.create_user_pool(
        PoolName=f"learninghub-userpool-{port}",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        },
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="learninghub-web-client",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    proxy = CognitoProxy(moto_url)
    api = ApiServer(f"{moto_url}/{pool}/.well-known/jwks.json", client)
    return Stack(moto, moto_url, proxy, api, pool, client)


def assert_no_secrets(stack: Stack, texts: dict[str, str]) -> None:
    """No password or token that crossed the stack, and nothing token-shaped, in any output."""
    secrets = stack.cognito.secrets | stack.api.tokens_seen
    assert secrets, "the run should have created credentials"
    for name, text in texts.items():
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{len(leaked)} secrets appear in {name}"
        assert not JWT_SHAPE.search(text), f"a JWT-shaped string appears in {name}"
