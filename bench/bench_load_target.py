"""A trivial HTTP/1.1 keep-alive target for the load-generator benchmark (bench_load.py).

Answers the reference API's read routes with fixed bodies (GET /health, GET /courses,
GET /courses/{id}) and 401 without `Authorization: Bearer ...`, so Locust's per-request cost is
what gets measured, not the server's. asyncio with hand parsing and pre-encoded replies (about
100k requests/s on one core under wrk); prints `READY {"port": N}` once listening.

    taskset -c 0 .venv/bin/python bench/bench_load_target.py [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
from typing import Protocol, runtime_checkable

COURSES = [
    {"id": i, "code": f"C-{i:03d}", "title": f"Course {i}", "credits": 3, "price": "49.00", "published": True}
    for i in range(1, 21)
]


def reply(status: str, body: object) -> bytes:
    data = json.dumps(body).encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


LIST = reply("200 OK", {"courses": COURSES})
ONE = {c["id"]: reply("200 OK", {**c, "description": "A course."}) for c in COURSES}
HEALTH = reply("200 OK", {"status": "ok"})
UNAUTHORIZED = reply("401 Unauthorized", {"message": "Unauthorized"})
NOT_FOUND = reply("404 Not Found", {"message": "Not Found"})
COURSE_RE = re.compile(rb"^/courses/(\d+)$")
LENGTH_RE = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def answer(head: bytes) -> bytes:
    line, _, _ = head.partition(b"\r\n")
    parts = line.split(b" ")
    path = parts[1].split(b"?")[0] if len(parts) > 1 else b""
    if path == b"/health":
        return HEALTH
    if b"\r\nauthorization: bearer " not in head.lower():
        return UNAUTHORIZED
    if path == b"/courses":
        return LIST
    m = COURSE_RE.match(path)
    return ONE.get(int(m[1]), NOT_FOUND) if m else NOT_FOUND


@runtime_checkable
class Writer(Protocol):
    def write(self, data: bytes) -> None: ...


class Http(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, Writer)  # a TCP transport, asyncio's or uvloop's (no asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buffer[:end]
            m = LENGTH_RE.search(head)
            total = end + 4 + (int(m[1]) if m else 0)
            if len(self.buffer) < total:
                break
            self.buffer = self.buffer[total:]
            out.append(answer(head))
        if out:
            self.transport.write(b"".join(out))


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", port)
    print("READY " + json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
