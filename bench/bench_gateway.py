"""Benchmark: authenticated GET through the twin's gateway at N concurrent connections.

Starts the control plane (`python -m twin.controlplane`) and the gateway (`python -m twin.gateway`) as their own
processes, deploys a trivial function behind a Cognito JWT authorizer, then drives keep-alive HTTP/1.1
connections from an asyncio client (hand-written: a generic client library would cost more CPU than the
gateway on this 2-core machine). Also measures, one request at a time, a direct invoke of the same function
through the Lambda runner, so the gateway's own overhead per request shows next to it.

Prints one JSON object and one readable line; never asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twin.lambdas import LambdaRunner  # noqa: E402 - needs the project root on sys.path first
from twin.lambdas.aws import control_client  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
HANDLER = (
    'import json\n\ndef handler(event, context):\n    return {"statusCode": 200, "body": json.dumps({"ok": True})}\n'
)
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def start(cmd: list[str], timeout: float = 60) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line: list[str] = []
    stdout = proc.stdout
    assert stdout is not None  # stdout=PIPE
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0].startswith("READY "):
        proc.kill()
        raise SystemExit(f"bench_gateway: {' '.join(cmd[:3])} did not start")
    return proc, json.loads(line[0][len("READY ") :])


def zip_bytes() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buf.getvalue()


def deploy(control_url: str) -> tuple[str, str, str, str]:
    """(api_id, function name, id token, integration id) of a trivial function behind a Cognito JWT authorizer."""
    c = {n: control_client(n, control_url, REGION) for n in ("iam", "lambda", "apigatewayv2", "cognito-idp")}
    suffix = uuid.uuid4().hex[:8]
    pool = c["cognito-idp"].create_user_pool(PoolName=f"bench-{suffix}")["UserPool"]["Id"]
    client_id = c["cognito-idp"].create_user_pool_client(
        UserPoolId=pool,
        ClientName="bench",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    password = f"B3nch#{uuid.uuid4().hex}"
    c["cognito-idp"].admin_create_user(UserPoolId=pool, Username="bench", MessageAction="SUPPRESS")
    c["cognito-idp"].admin_set_user_password(UserPoolId=pool, Username="bench", Password=password, Permanent=True)
    token = c["cognito-idp"].admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bench", "PASSWORD": password},
    )["AuthenticationResult"]["IdToken"]
    role = c["iam"].create_role(RoleName=f"bench-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = f"bench-{suffix}"
    arn = c["lambda"].create_function(
        FunctionName=function,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_bytes()},
        Timeout=10,
    )["FunctionArn"]
    apigw = c["apigatewayv2"]
    api_id = apigw.create_api(Name=f"bench-{suffix}", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0", TimeoutInMillis=29000
    )["IntegrationId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{pool}", "Audience": [client_id]},
    )["AuthorizerId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /ping",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    c["lambda"].add_permission(
        FunctionName=function,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/*/*",
    )
    return api_id, function, token, integration


def propagation(control_url: str, api_id: str, integration: str, port: int, rounds: int) -> list[float]:
    """Seconds from CreateRoute until the gateway serves the new route, `rounds` times (the API is in use)."""
    import http.client

    apigw = control_client("apigatewayv2", control_url, REGION)
    seconds = []
    for i in range(rounds):
        apigw.create_route(ApiId=api_id, RouteKey=f"GET /new{i}", Target=f"integrations/{integration}")
        started = time.perf_counter()
        while time.perf_counter() - started < 60:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", f"/new{i}")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                break
            time.sleep(0.01)
        seconds.append(time.perf_counter() - started)
    return seconds


async def exchanges(
    port: int, request: bytes, more: Callable[[int], bool], latencies: list[float], errors: list[int]
) -> None:
    """Requests one after the other on one kept-alive connection while `more(sent so far)` says so."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while more(sent):
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            match = CONTENT_LENGTH.search(head)
            if match:
                await reader.readexactly(int(match.group(1)))
            latencies.append(time.perf_counter() - started)
            sent += 1
            if head[9:12] != b"200":
                errors.append(int(head[9:12]))
    finally:
        writer.close()


async def connection(port: int, request: bytes, stop_at: float, latencies: list[float], errors: list[int]) -> None:
    await exchanges(port, request, lambda _: time.perf_counter() < stop_at, latencies, errors)


async def one_at_a_time(port: int, request: bytes, count: int) -> tuple[list[float], list[int]]:
    """`count` requests, one after the other, on one kept-alive connection."""
    latencies: list[float] = []
    errors: list[int] = []
    await exchanges(port, request, lambda sent: sent < count, latencies, errors)
    return latencies, errors


async def drive(port: int, request: bytes, concurrency: int, seconds: float) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(connection(port, request, stop_at, latencies, errors) for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def direct_invokes(control_url: str, function: str, count: int) -> list[float]:
    runner = LambdaRunner(control_url, REGION, tempfile.mkdtemp(prefix="bench-runner-"))
    try:
        await runner.invoke(function, b"{}", 10)
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            await runner.invoke(function, b"{}", 10)
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        await runner.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="authenticated GET through the twin's gateway")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--serial", type=int, default=500, help="requests for the one-at-a-time comparison")
    parser.add_argument("--gateway-arg", action="append", default=[], help="extra gateway argument (repeatable)")
    parser.add_argument("--propagation-rounds", type=int, default=5, help="new routes timed until served")
    args = parser.parse_args()
    if args.concurrency < 1 or args.seconds <= 0 or args.warmup < 0 or args.serial < 1 or args.propagation_rounds < 1:
        print(
            "bench_gateway: --concurrency, --serial and --propagation-rounds must be >= 1, --seconds > 0, "
            "--warmup >= 0",
            file=sys.stderr,
        )
        return 2
    import uvloop

    cp, cp_ready = start([sys.executable, "-m", "twin.controlplane", "--port", "0"])
    gw = None
    try:
        api_id, function, token, integration = deploy(cp_ready["url"])
        state = tempfile.mkdtemp(prefix="bench-gateway-")
        gw, gw_ready = start(
            [
                sys.executable,
                "-m",
                "twin.gateway",
                "--port",
                "0",
                "--control-url",
                cp_ready["url"],
                "--default-api-id",
                api_id,
                "--state-dir",
                state,
                *args.gateway_arg,
            ]
        )
        port = gw_ready["port"]
        request = (
            f"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            "User-Agent: bench\r\n\r\n"
        ).encode()
        loop = uvloop.new_event_loop()
        try:
            loop.run_until_complete(drive(port, request, args.concurrency, args.warmup))
            latencies, errors, elapsed = loop.run_until_complete(drive(port, request, args.concurrency, args.seconds))
            serial_latencies, serial_errors = loop.run_until_complete(one_at_a_time(port, request, args.serial))
            direct = loop.run_until_complete(direct_invokes(cp_ready["url"], function, args.serial))
        finally:
            loop.close()
        visible = propagation(cp_ready["url"], api_id, integration, port, args.propagation_rounds)
    finally:
        if gw is not None:
            gw.terminate()
            gw.wait(timeout=30)
        cp.terminate()
        cp.wait(timeout=30)
    ms = 1000.0
    result = {
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": len(errors) + len(serial_errors),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * ms, 2),
        "p99_ms": round(percentile(latencies, 0.99) * ms, 2),
        "serial_gateway_p50_ms": round(statistics.median(serial_latencies) * ms, 3),
        "serial_direct_invoke_p50_ms": round(statistics.median(direct) * ms, 3),
        "gateway_overhead_p50_ms": round((statistics.median(serial_latencies) - statistics.median(direct)) * ms, 3),
        "new_route_visible_median_s": round(statistics.median(visible), 3),
        "new_route_visible_max_s": round(max(visible), 3),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))
    print(
        f"gateway: {result['requests_per_s']} req/s at {args.concurrency} connections, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms; one at a time {result['serial_gateway_p50_ms']} ms vs direct invoke "
        f"{result['serial_direct_invoke_p50_ms']} ms (gateway overhead {result['gateway_overhead_p50_ms']} ms); "
        f"{result['errors']} errors; a new route served after {result['new_route_visible_median_s']} s "
        f"(max {result['new_route_visible_max_s']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
