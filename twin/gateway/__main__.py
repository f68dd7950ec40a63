"""`python -m twin.gateway`: start the HTTP API data plane on loopback and print one READY line.

Startup order: read the whole configuration once (so the first request is served with it), bind the socket,
serve with uvicorn (httptools + uvloop), print `READY {...}`; on SIGTERM/SIGINT stop accepting, end the Lambda
worker processes, exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

import uvicorn

from twin.gateway.app import Gateway, Settings
from twin.gateway.authorizer import JwtValidator
from twin.gateway.jwks import IssuerMap, KeyStore, is_loopback_url
from twin.gateway.refresher import PROPAGATION_ENV, Refresher
from twin.lambdas import LambdaRunner
from twin.lambdas.aws import control_client
from twin.lambdas.logdelay import MAX_ENV, MIN_ENV, LogDelay, LogDelayError, parse_seconds

log = logging.getLogger("twin.gateway")
DEFAULT_ACCOUNT = "123456789012"
MAX_PROPAGATION_S = 86_400.0  # a bound on typos, not a figure of AWS


class UsageError(Exception):
    """Bad command line: one line to the user, exit 2."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m twin.gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--control-url", required=True, help="the twin's control plane, e.g. http://127.0.0.1:5000")
    parser.add_argument("--default-api-id", help="API served on the bare address (Host 127.0.0.1:port)")
    parser.add_argument("--state-dir", required=True, type=Path, help="state folder (lambda code, logs)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--issuer-map",
        action="append",
        default=[],
        metavar="ISSUER=URL",
        help="read ISSUER's OIDC discovery at URL/.well-known/openid-configuration (repeatable)",
    )
    parser.add_argument("--jwt-leeway", type=float, default=0.0, help="seconds of clock skew for exp/nbf/iat")
    parser.add_argument("--max-concurrency", type=int, default=4, help="worker processes per function")
    parser.add_argument("--refresh-interval", type=float, default=0.4, help="seconds between config refreshes")
    parser.add_argument(
        "--startup-timeout", type=float, default=15.0, help="seconds to wait for the control plane at start"
    )
    parser.add_argument(
        "--propagation-delay",
        default=None,
        metavar="S",
        help="seconds before a changed Lambda resource policy or authorizer configuration takes "
        f"effect, as AWS's eventual consistency (default ${PROPAGATION_ENV}, else 0: off)",
    )
    parser.add_argument(
        "--log-delay-min",
        default=None,
        metavar="S",
        help="least delay of a Lambda log stream's events on their way to CloudWatch Logs, drawn "
        f"per stream (default ${MIN_ENV}, else 0.2)",
    )
    parser.add_argument(
        "--log-delay-max",
        default=None,
        metavar="S",
        help=f"greatest such delay (default ${MAX_ENV}, else 1.5; 0 with a 0 minimum: off)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    args.propagation_delay = _propagation_delay(args.propagation_delay)
    try:
        args.log_delay = LogDelay.from_env(
            min_s=None if args.log_delay_min is None else parse_seconds("--log-delay-min", args.log_delay_min),
            max_s=None if args.log_delay_max is None else parse_seconds("--log-delay-max", args.log_delay_max),
        )
    except LogDelayError as exc:
        raise UsageError(str(exc)) from None
    if not is_loopback_url(args.control_url):
        raise UsageError(f"--control-url {args.control_url!r} must be an http URL on 127.0.0.1 or localhost")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number; use 0 for a free port")
    if args.max_concurrency < 1 or args.refresh_interval <= 0 or args.jwt_leeway < 0 or args.startup_timeout < 0:
        raise UsageError(
            "--max-concurrency must be >= 1, --refresh-interval > 0, --jwt-leeway and --startup-timeout >= 0"
        )
    mapping = {}
    for item in args.issuer_map:
        issuer, sep, url = item.partition("=")
        if not sep or not issuer or not is_loopback_url(url):
            raise UsageError(f"--issuer-map {item!r} must be ISSUER=URL with URL on loopback")
        mapping[issuer] = url
    args.issuer_map = mapping
    return args


def _propagation_delay(flag: str | None) -> float:
    """The flag's value, else the environment's, else 0 (off)."""
    name, text = (
        ("--propagation-delay", flag) if flag is not None else (PROPAGATION_ENV, os.environ.get(PROPAGATION_ENV))
    )
    if not text:
        return 0.0
    try:
        return parse_seconds(name, text, MAX_PROPAGATION_S)
    except LogDelayError as exc:
        raise UsageError(str(exc)) from None


def initial_load(refresher: Refresher, control_url: str, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            refresher.load_once()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise UsageError(f"cannot read the control plane at {control_url}: {exc}; is it running?") from exc
            time.sleep(0.2)


def account_id(control_url: str, region: str) -> str:
    try:
        return str(control_client("sts", control_url, region).get_caller_identity()["Account"])
    except Exception:
        return DEFAULT_ACCOUNT


async def serve(args: argparse.Namespace) -> None:
    keys = KeyStore(IssuerMap(args.control_url, args.issuer_map))
    refresher = Refresher(
        args.control_url,
        args.region,
        keys,
        args.refresh_interval,
        args.default_api_id,
        propagation_delay_s=args.propagation_delay,
    )
    initial_load(refresher, args.control_url, args.startup_timeout)
    settings = Settings(
        region=args.region, account_id=account_id(args.control_url, args.region), default_api_id=args.default_api_id
    )
    runner = LambdaRunner(
        args.control_url, args.region, args.state_dir, max_concurrency=args.max_concurrency, log_delay=args.log_delay
    )
    app = Gateway(settings, refresher, JwtValidator(keys, args.jwt_leeway), runner)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", args.port))
    except OSError as exc:
        raise UsageError(f"cannot bind 127.0.0.1:{args.port}: {exc.strerror}; choose another --port or 0") from exc
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http="httptools",
        loop="none",
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_level=args.log_level.lower(),
        timeout_graceful_shutdown=5,
        backlog=1024,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal it caught once it has shut down; these no-op handlers make that a clean exit.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    refresher.start()
    # Startup objects (boto3 models, moto-free but large) never die: keep the collector off them, and collect
    # young objects less often; full collections were the largest single source of p99 latency.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print("READY " + json.dumps({"url": f"http://127.0.0.1:{port}", "port": port}), flush=True)
    try:
        await task
    finally:
        refresher.stop()


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"twin.gateway: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    try:
        import uvloop

        uvloop.run(serve(args))
    except UsageError as exc:
        print(f"twin.gateway: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
