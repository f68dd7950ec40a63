"""A loopback HTTP forwarder between the harness and the twin's control plane, for two observations.

- Every credential that crosses the wire (passwords in requests, tokens in answers, the database
  secret) is kept in memory, so a scan can look for the run's real secrets, including ones the
  harness never registered for redaction.
- `drop_every=N` closes every Nth connection without an answer: a flaky network, deterministic
  so that no two consecutive connections fail and every bounded retry policy can recover.
- `lose_first_answer_of=Operation` forwards the first call of that operation (X-Amz-Target) and
  closes the connection instead of relaying the answer: the call took effect, the client cannot know.
- `hold(Operation)` keeps every later call of that operation waiting, unanswered, until `release()`
  (or HOLD_CEILING_S), and then drops it without forwarding: a control plane that stopped answering.
- `fail_for(Operation, seconds)`: from the first call of that operation on, every Cognito call is answered
  HTTP 500 InternalErrorException (Cognito's documented internal error) for that long, unforwarded:
  a control plane outage that starts at a known point of the run.
- `down_for(after, seconds)`: once `after` connections were served, the listening socket is closed
  for that long and then opened again on the same port: a restart of what is behind it, seen by the
  client as refused connections. `host_header="upstream"` sends the upstream's Host, for an API
  gateway that routes by it.

Hand-written because both are observation and fault points on a real socket; moto and the twin
have neither. One connection per request, as the twin's control plane does (no keep-alive).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

SECRET_KEYS = frozenset(
    {
        "PASSWORD",
        "Password",
        "TemporaryPassword",
        "ProposedPassword",
        "PreviousPassword",
        "REFRESH_TOKEN",
        "IdToken",
        "AccessToken",
        "RefreshToken",
        "password",
    }
)
HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "proxy-connection"})
UPSTREAM_TIMEOUT_S = 30
HOLD_CEILING_S = 300  # a held call is answered after this even if no test releases it
COGNITO_TARGET = "AWSCognitoIdentityProviderService."  # fail_for() is a Cognito outage; other services answer
INTERNAL_ERROR = b'{"__type":"InternalErrorException","message":"An internal error occurred."}'


def secrets_in(document: Any) -> Iterator[tuple[str, str]]:
    """(value, key) of credential keys anywhere in a JSON document (SecretString is parsed too)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in SECRET_KEYS and isinstance(value, str) and value:
                yield value, key
            elif key == "SecretString" and isinstance(value, str):
                try:
                    yield from secrets_in(json.loads(value))
                except ValueError:
                    yield value, key
            else:
                yield from secrets_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from secrets_in(item)


class WireProxy:
    """`WireProxy(upstream).start()`; `url` to put in the env file; `secrets`, `dropped`, `stop()`."""

    def passwords(self) -> set[str]:
        return {value for value, key in self.secrets.items() if "password" in key.lower()}

    def __init__(
        self, upstream: str, *, drop_every: int = 0, lose_first_answer_of: str = "", host_header: str = "client"
    ) -> None:
        target = urlparse(upstream)
        self.rewrite_host = host_header == "upstream"
        self._fail_op, self._fail_s, self._fail_until = "", 0.0, 0.0
        self.failed = 0  # calls answered 500 by fail_for()
        self._down_after, self._down_s = 0, 0.0
        self.restarts = 0  # completed down_for() windows
        self._stopped = False
        self.upstream_host, self.upstream_port = target.hostname or "127.0.0.1", target.port or 80
        self.drop_every = drop_every
        self.lose_answer_of = lose_first_answer_of
        self.lost: list[str] = []  # operations whose answer was lost
        self.held = 0  # calls kept waiting by hold()
        self._hold_op = ""
        self._released = threading.Event()
        self.secrets: dict[str, str] = {}  # value -> the JSON key it came in
        self.connections = 0
        self.dropped = 0
        self.forwarded = 0
        self._lock = threading.Lock()
        self._server = self._listen(0)
        self.port = self._server.server_address[1]

    def _listen(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        server.daemon_threads = True
        return server

    def _serve(self) -> None:
        threading.Thread(target=self._server.serve_forever, name="wire-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WireProxy:
        self._serve()
        return self

    def fail_for(self, operation: str, seconds: float) -> None:
        self._fail_op, self._fail_s = operation, seconds

    def down_for(self, after: int, seconds: float) -> None:
        self._down_after, self._down_s = after, seconds

    def _failing(self, target: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._fail_op and not self._fail_until and target.endswith(f".{self._fail_op}"):
                self._fail_until = now + self._fail_s
            failing = now < self._fail_until and target.startswith(COGNITO_TARGET)
            self.failed += failing
            return failing

    def _restart_after(self, connection: int) -> None:
        if self._down_after and connection == self._down_after:
            threading.Thread(target=self._restart, name="wire-proxy-restart", daemon=True).start()

    def _restart(self) -> None:
        self._server.shutdown()  # the request being served still gets its answer
        self._server.server_close()
        time.sleep(self._down_s)  # the outage itself: connections are refused meanwhile
        if self._stopped:
            return
        self._server = self._listen(self.port)
        self._serve()
        with self._lock:
            self.restarts += 1

    def stop(self) -> None:
        self._stopped = True
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def hold(self, operation: str) -> None:
        self._released.clear()
        self._hold_op = operation

    def release(self) -> None:
        self._hold_op = ""
        self._released.set()

    def _held(self, target: str) -> bool:
        if not (self._hold_op and target.endswith(f".{self._hold_op}")):
            return False
        with self._lock:
            self.held += 1
        self._released.wait(HOLD_CEILING_S)
        return True

    def _should_drop(self) -> bool:
        with self._lock:
            self.connections += 1
            drop = self.drop_every > 0 and self.connections % self.drop_every == 0
            self.dropped += drop
            connection = self.connections
        self._restart_after(connection)
        return drop

    def _lose_answer(self, target: str) -> bool:
        with self._lock:
            lose = bool(self.lose_answer_of) and target.endswith(f".{self.lose_answer_of}") and not self.lost
            if lose:
                self.lost.append(self.lose_answer_of)
            return lose

    def _observe(self, body: bytes) -> None:
        try:
            document = json.loads(body)
        except ValueError:
            return
        found = dict(secrets_in(document))
        with self._lock:
            self.secrets |= found

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the forwarder must not print what crosses it

            def _forward(self) -> None:
                if proxy._should_drop():
                    self.close_connection = True
                    self.connection.close()  # no status line: the client sees the connection closed
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy._observe(body)
                if proxy._held(self.headers.get("X-Amz-Target", "")):
                    self.close_connection = True
                    self.connection.close()
                    return
                if proxy._failing(self.headers.get("X-Amz-Target", "")):
                    self._answer(
                        500,
                        [
                            ("Content-Type", "application/x-amz-json-1.1"),
                            ("x-amzn-ErrorType", "InternalErrorException:"),
                        ],
                        INTERNAL_ERROR,
                    )
                    return
                dropped = HOP_HEADERS | ({"host"} if proxy.rewrite_host else set())
                headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
                upstream = http.client.HTTPConnection(
                    proxy.upstream_host, proxy.upstream_port, timeout=UPSTREAM_TIMEOUT_S
                )
                try:
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    status, reason, answer_headers = answer.status, answer.reason, answer.getheaders()
                finally:
                    upstream.close()
                proxy._observe(data)
                with proxy._lock:
                    proxy.forwarded += 1
                if proxy._lose_answer(self.headers.get("X-Amz-Target", "")):
                    self.close_connection = True
                    self.connection.close()
                    return
                self._answer(status, answer_headers, data, reason)

            def _answer(
                self, status: int, headers: list[tuple[str, str]], data: bytes, reason: str | None = None
            ) -> None:
                self.send_response(status, reason)
                for name, value in headers:
                    if name.lower() not in HOP_HEADERS | {"content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _forward

        return Handler
