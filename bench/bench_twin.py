"""Benchmark of the whole twin: cold start to ready, and authenticated GET /courses under load.

Prints one JSON object and one readable line. Goals (issue 2): cold start ≤ 5 s; GET /courses
through the gateway at 50 connections ≥ 1,000 requests/s with p99 ≤ 25 ms. Load comes from wrk
(Debian package, installed when missing) on loopback only, bounded by --seconds. A warm-up run at the
same concurrency comes first and is reported on its own: it pays the Lambda environments' cold starts
(up to the runner's concurrency bound), which would otherwise sit in the measured tail.

    .venv/bin/python bench/bench_twin.py [--starts 3] [--warmup 3] [--seconds 10] [--connections 50]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.local_twin import LaunchedTwin, TwinStartError, launch_twin  # noqa: E402


def cold_start(folder: Path) -> tuple[LaunchedTwin, float]:
    started = time.monotonic()
    try:
        twin = launch_twin(folder)
    except TwinStartError as exc:
        sys.exit(f"bench: {exc}")
    return twin, time.monotonic() - started


def mint_id_token(env: dict) -> str:
    idp = boto3.client(
        "cognito-idp",
        region_name=env["aws"]["region"],
        endpoint_url=env["aws"]["endpoint_url"],
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}),
    )
    pool, client = env["cognito"]["user_pool_id"], env["cognito"]["client_id"]
    username, password = f"bench-{secrets.token_hex(4)}", secrets.token_urlsafe(18) + "aA1!"
    idp.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
    auth = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return auth["AuthenticationResult"]["IdToken"]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("bench: wrk is not installed and could not be installed")


class WrkResult(TypedDict):
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str


def run_wrk(base_url: str, token: str, seconds: int, connections: int) -> WrkResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "auth.lua"
        # The token goes into a 0600 script file, not onto the command line other users can read.
        fd = os.open(script, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        cmd = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), "--latency"]
        out = subprocess.run([*cmd, f"{base_url}/courses"], capture_output=True, text=True, check=True).stdout
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = {p: _ms(_find(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}
    return {
        "rps": rps,
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _find(pattern: str, out: str) -> re.Match[str]:
    """The pattern's match in wrk's output, which always has it."""
    found = re.search(pattern, out)
    if found is None:
        sys.exit(f"bench: {pattern!r} not in wrk's output:\n{out[-2000:]}")
    return found


def _ms(text: str) -> float:
    value, unit = _find(r"^([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time")
    parser.add_argument("--warmup", type=int, default=3, help="length of the warm-up wrk run (max 60)")
    parser.add_argument("--seconds", type=int, default=10, help="length of the wrk run (max 60)")
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    args.seconds, args.warmup = min(args.seconds, 60), min(args.warmup, 60)
    starts: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.starts):
            twin, seconds = cold_start(Path(tmp) / f"twin{i}")
            starts.append(seconds)
            if i < args.starts - 1:
                twin.down()
        try:
            env = twin.settings
            token = mint_id_token(env)
            warmup = run_wrk(env["api"]["base_url"], token, args.warmup, args.connections) if args.warmup > 0 else None
            load = run_wrk(env["api"]["base_url"], token, args.seconds, args.connections)
        finally:
            twin.down()
    result = {
        "cold_start_s": {"median": round(statistics.median(starts), 2), "all": [round(s, 2) for s in starts]},
        "warmup": {"seconds": args.warmup, **(warmup or {})},
        "get_courses": {"connections": args.connections, "seconds": args.seconds, **load},
        "goals": {"cold_start_s": 5, "rps": 1000, "p99_ms": 25},
    }
    print(json.dumps(result))
    print(
        f"twin: cold start {result['cold_start_s']['median']} s (goal 5); GET /courses at {args.connections} conns: "
        f"{load['rps']:.0f} req/s (goal 1000), p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms (goal 25), "
        f"non-2xx {load['non_2xx']}"
        + (f"; warm-up {warmup['rps']:.0f} req/s, p99 {warmup['p99_ms']:.1f} ms" if warmup else "")
    )


if __name__ == "__main__":
    main()
