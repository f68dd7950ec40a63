"""`python -m twin up|down|status|restart`: the supervisor of the local twin.

`up` starts the control plane and the SQL Server stand-in side by side, provisions the stack with
the guide's steps, starts the gateway, writes the env file and then waits (foreground) until
SIGINT/SIGTERM or a service dies. `--detach` runs that same supervisor in its own session and
returns once the env file is written. `down` stops a detached twin through its state folder.
`restart gateway` has a detached twin's supervisor restart its gateway on the same port (SIGUSR1).
`--issuer-type ORIGINAL|UPDATED` chooses the user pool's IssuerConfiguration (and the authorizer's issuer).
`--enforce-iam` makes moto check every AWS call against IAM (see twin.iam and docs/iam.md): the env file
then names the CI user's profile, whose keys are in `<state>/iam/credentials`.

Errors are one line on stderr with a non-zero exit; whatever was started is stopped first.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fixtures.cli_args import OneLineParser
from twin.services import (
    Service,
    ServiceError,
    last_error,
    restart_service,
    start_service,
    stop_services,
    wait_ready,
)
from twin.state import StateLayout, TwinState, alive, read_state, write_state

if TYPE_CHECKING:
    from twin.iam.principals import IamSetup
    from twin.provision.stack import Stack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = PROJECT_ROOT / ".twin"
DEFAULT_ENV_OUT = PROJECT_ROOT / "env" / "local.toml"
REQUIRED_MODULES = ("moto", "boto3", "pytds", "sqlglot", "uvicorn", "jwt", "cryptography")
EXIT_ERROR = 1
EXIT_NOT_RUNNING = 3
RESTARTABLE = ("gateway",)
RESTART_TIMEOUT_S = 90.0  # the CLI's ceiling: the old gateway's stop (10 s at most) plus a slow start


class TwinError(Exception):
    """A failure the user can act on; the message is the whole story in one line."""


class _Stop(Exception):
    """SIGINT/SIGTERM arrived."""


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {port}")
    return port


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {value!r}") from None
    if not 0 < seconds <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, got {value}")
    return seconds


ISSUER_TYPES = ("ORIGINAL", "UPDATED")  # = twin.provision.names.ISSUER_TYPES (not imported: boto3 is slow)


def _delay(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {value!r}") from None
    if not 0 <= seconds <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be 0 to 3600 seconds, got {value}")
    return seconds


# AWS timing (docs/reliability.md): `twin up` flag -> the gateway's flag (it hands the log delays to its Lambda
# runner's log shipper). None: the gateway's own default.
TIMING_FLAGS = {
    "propagation_delay": "--propagation-delay",
    "log_delay_min": "--log-delay-min",
    "log_delay_max": "--log-delay-max",
}


LOG_BOUND_MARGIN_S = 0.5


def _timing_args(args: argparse.Namespace) -> list[str]:
    return [
        a
        for dest, flag in TIMING_FLAGS.items()
        if getattr(args, dest) is not None
        for a in (flag, str(getattr(args, dest)))
    ]


def _issuer_type(value: str) -> str:
    if value not in ISSUER_TYPES:
        raise argparse.ArgumentTypeError(f"must be ORIGINAL or UPDATED (IssuerConfiguration.Type), got {value!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m twin", prefix="twin", description="Local twin of the Cognito/HTTP API/Lambda/SQL Server stack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the twin (foreground unless --detach)")
    up.add_argument("--env-out", type=Path, default=DEFAULT_ENV_OUT, help="env file to write when ready")
    up.add_argument("--detach", action="store_true", help="return once ready; stop with `python -m twin down`")
    up.add_argument("--gateway-port", type=_port, default=0, help="0 (default) picks a free port")
    up.add_argument("--control-port", type=_port, default=0, help="0 (default) picks a free port")
    up.add_argument("--sql-port", type=_port, default=0, help="0 (default) picks a free port")
    up.add_argument("--ready-timeout", type=_seconds, default=60.0, help="seconds to wait for readiness")
    up.add_argument(
        "--issuer-type",
        type=_issuer_type,
        default="ORIGINAL",
        help="the user pool's issuer: ORIGINAL (default, https://cognito-idp...) or UPDATED "
        "(https://issuer-cognito-idp...); the authorizer names the same one",
    )
    up.add_argument(
        "--propagation-delay",
        type=_delay,
        default=None,
        metavar="S",
        help="seconds before a changed Lambda permission or authorizer takes effect, as AWS's eventual "
        "consistency (default 0)",
    )
    up.add_argument(
        "--log-delay-min",
        type=_delay,
        default=None,
        metavar="S",
        help="least delay of each Lambda log stream on its way to CloudWatch Logs (default 0.2)",
    )
    up.add_argument(
        "--log-delay-max", type=_delay, default=None, metavar="S", help="greatest such delay (default 1.5; both 0: off)"
    )
    up.add_argument(
        "--enforce-iam",
        action="store_true",
        help="moto checks every AWS call; the harness signs as the CI user (docs/iam.md)",
    )
    up.add_argument(
        "--ci-policy",
        type=Path,
        default=None,
        help="with --enforce-iam: the CI user's policy (default env/ci-policy.json)",
    )
    # Set by --detach on the supervisor it starts: only a detached twin restarts its gateway on request.
    up.add_argument("--detached-supervisor", action="store_true", help=argparse.SUPPRESS)
    helps = {
        "down": "stop a detached twin",
        "status": "show a detached twin's services",
        "restart": "restart a service of a detached twin (same port, same settings)",
    }
    for name in ("up", "down", "status", "restart"):
        target = up if name == "up" else sub.add_parser(name, help=helps[name])
        if name == "restart":
            target.add_argument("service", choices=RESTARTABLE, help="the service to restart")
        target.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="twin state folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    low, high = getattr(args, "log_delay_min", None), getattr(args, "log_delay_max", None)
    if low is not None and high is not None and low > high:
        parser.error(f"--log-delay-min {low:g} is above --log-delay-max {high:g}")
    state_dir: Path = args.state_dir.resolve()
    try:
        if args.command == "up":
            return _detach(args, state_dir) if args.detach else _up(args, state_dir)
        if args.command == "down":
            return _down(state_dir)
        if args.command == "restart":
            return _restart(state_dir, args.service)
        return _status(state_dir)
    except TwinError as exc:
        print(f"twin: {exc}", file=sys.stderr)
        return EXIT_ERROR


# --- up ----------------------------------------------------------------------------------------


def _preflight(args: argparse.Namespace, state_dir: Path) -> None:
    if state_dir.exists() and not state_dir.is_dir():
        raise TwinError(f"--state-dir {state_dir} is a file; pass a folder (it is created when missing)")
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise TwinError(f"missing Python package {missing[0]!r}: run `make setup` (or use .venv/bin/python)")
    running = read_state(state_dir)
    if running:
        raise TwinError(
            f"a twin is already running for {state_dir} (pid {running['supervisor_pid']}); "
            "stop it with `python -m twin down` or pass another --state-dir"
        )
    for flag in ("gateway_port", "control_port", "sql_port"):
        port = getattr(args, flag)
        if port and not _port_free(port):
            option = "--" + flag.replace("_", "-")
            raise TwinError(f"port {port} is in use; choose another {option} or omit it for a free port")
    env_dir = args.env_out.resolve().parent
    if env_dir.exists() and not env_dir.is_dir():
        raise TwinError(f"--env-out {args.env_out}: {env_dir} is not a folder")
    if args.ci_policy is not None and not args.enforce_iam:
        raise TwinError("--ci-policy needs --enforce-iam (without it moto checks no policy)")
    if args.enforce_iam:
        from twin.iam.policy import DEFAULT_POLICY, PolicyError, load_policy

        args.ci_policy = (args.ci_policy or DEFAULT_POLICY).resolve()
        try:
            load_policy(args.ci_policy)
        except PolicyError as exc:
            raise TwinError(str(exc)) from None


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _credentials(state_dir: Path) -> dict[str, str]:
    """SQL logins' passwords: generated once per state folder, kept with mode 0600, never printed."""
    path = StateLayout(state_dir).credentials
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())  # written below, by this function
        return stored
    creds = {"sa_password": _password(), "app_password": _password()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(creds, handle)
    return creds


def _password() -> str:
    # SQL Server's complexity rule wants three character classes; a token_urlsafe body plus a fixed
    # tail guarantees them without printing anything.
    return secrets.token_urlsafe(24) + "aA1!"


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


# Set by SIGUSR1 (`twin restart gateway`); the supervise loop restarts the gateway between its polls, so the
# handler itself never touches a process.
_RESTART_GATEWAY = threading.Event()


def _up(args: argparse.Namespace, state_dir: Path) -> int:
    _preflight(args, state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    StateLayout(state_dir).state_file.unlink(missing_ok=True)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGUSR1, lambda *_: _RESTART_GATEWAY.set())
    started_at = time.monotonic()
    services: list[Service] = []
    try:
        try:
            env_out = _start_all(args, state_dir, services)
        except ServiceError as exc:
            raise TwinError(str(exc)) from None
        elapsed = time.monotonic() - started_at
        iam_note = ""
        if args.enforce_iam:
            iam_note = f"; IAM enforced: set AWS_SHARED_CREDENTIALS_FILE={StateLayout(state_dir).iam_credentials}"
        print(f"twin ready in {elapsed:.1f} s: API {_describe(services)}; env file {env_out}{iam_note}", flush=True)
        return _supervise(services, lambda: _restart_gateway(services, state_dir, args.ready_timeout))
    except _Stop:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        stop_services(services)
        StateLayout(state_dir).state_file.unlink(missing_ok=True)


def _start_all(args: argparse.Namespace, state_dir: Path, services: list[Service]) -> Path:
    creds = _credentials(state_dir)
    control_module = "twin.iam.controlplane" if args.enforce_iam else "twin.controlplane"
    control = start_service("controlplane", control_module, ["--port", str(args.control_port)], state_dir)
    services.append(control)
    sql = start_service(
        "mssql",
        "twin.mssql",
        ["--port", str(args.sql_port), "--state-dir", str(StateLayout(state_dir).mssql)],
        state_dir,
        env={"TWIN_MSSQL_SA_PASSWORD": creds["sa_password"], "TWIN_MSSQL_APP_PASSWORD": creds["app_password"]},
    )
    services.append(sql)
    control_url = str(wait_ready(control, args.ready_timeout)["url"])
    sql_port = int(wait_ready(sql, args.ready_timeout)["port"])

    from twin.provision import env_file_text, provision  # imported late: boto3 import is slow

    try:
        stack = provision(
            control_url,
            db_host="127.0.0.1",
            db_port=sql_port,
            db_app_password=creds["app_password"],
            issuer_type=args.issuer_type,
        )
    except Exception as exc:  # a provisioning failure is the user's one line, not a traceback
        raise TwinError(f"provisioning failed: {type(exc).__name__}: {exc}") from None
    iam = _enforce_iam(args, state_dir, control_url, stack) if args.enforce_iam else None
    gateway = start_service(
        "gateway",
        "twin.gateway",
        [
            "--port",
            str(args.gateway_port),
            "--control-url",
            control_url,
            "--default-api-id",
            stack.api_id,
            "--state-dir",
            str(state_dir),
            *_timing_args(args),
        ],
        state_dir,
        env=iam.internal_env if iam else None,
    )
    services.append(gateway)
    base_url = str(wait_ready(gateway, args.ready_timeout)["url"])
    env_out: Path = args.env_out.resolve()  # argparse's attributes are untyped; --env-out has type=Path
    env_out.parent.mkdir(parents=True, exist_ok=True)
    tmp = env_out.with_suffix(".tmp")
    env_text = env_file_text(stack, base_url, control_url, log_delay_max_s=_log_delay_bound(args))
    if iam:
        from twin.iam.principals import with_profile

        env_text = with_profile(env_text, iam.profile)
    tmp.write_text(env_text)
    tmp.replace(env_out)
    state: TwinState = {
        "supervisor_pid": os.getpid(),
        "detached": args.detached_supervisor,
        "env_file": str(env_out),
        "api_id": stack.api_id,
        "issuer_type": stack.issuer_type,
        "services": _services_state(services),
    }
    if iam:
        state["iam"] = {"profile": iam.profile, "credentials_file": str(iam.credentials_file)}
    write_state(state_dir, state)
    return env_out


def _log_delay_bound(args: argparse.Namespace) -> float:
    """The env file's [lambda] log_delay_max_s: the largest per-stream delay the gateway's log shipper can draw
    (from the flags and environment the gateway reads), plus the shipper's flush interval and a margin for its
    write to CloudWatch Logs. The reject round reads on that long instead of its 10 s for AWS."""
    from twin.lambdas.logdelay import LogDelay
    from twin.lambdas.logship import FLUSH_INTERVAL_S

    delay = LogDelay.from_env(min_s=args.log_delay_min, max_s=args.log_delay_max)
    return round(max((delay.max_s, *delay.forced)) + FLUSH_INTERVAL_S + LOG_BOUND_MARGIN_S, 2)


def _services_state(services: list[Service]) -> dict[str, dict[str, Any]]:
    return {s.name: {"pid": s.pid, **s.info} for s in services}


def _enforce_iam(args: argparse.Namespace, state_dir: Path, control_url: str, stack: Stack) -> IamSetup:
    """Create the twin's own IAM user and the CI user, then switch moto's enforcement on."""
    from twin.iam.policy import PolicyError, load_policy
    from twin.iam.principals import create_principals, stack_values, start_enforcement

    try:
        policy = load_policy(args.ci_policy)
        setup = create_principals(control_url, stack.region, policy, stack_values(stack), state_dir)
        start_enforcement(control_url)
    except PolicyError as exc:
        raise TwinError(str(exc)) from None
    except Exception as exc:  # a setup failure is the user's one line, not a traceback
        raise TwinError(f"IAM enforcement setup failed: {type(exc).__name__}: {exc}") from None
    return setup


def _describe(services: list[Service]) -> str:
    info = {s.name: s.info for s in services}
    return (
        f"{info['gateway'].get('url')}, control plane {info['controlplane'].get('url')}, "
        f"SQL Server 127.0.0.1:{info['mssql'].get('port')}"
    )


def _supervise(services: list[Service], restart_gateway: Callable[[], None]) -> int:
    """Wait for a signal; a service that dies on its own takes the twin down with an error."""
    while True:
        if _RESTART_GATEWAY.is_set():
            _RESTART_GATEWAY.clear()
            try:
                restart_gateway()
            except ServiceError as exc:
                print(f"twin: the gateway restart failed: {exc}", file=sys.stderr)
                return EXIT_ERROR
        for service in services:
            if service.process.poll() is not None:
                print(
                    f"twin: {service.name} exited with code {service.process.returncode}: {last_error(service)}",
                    file=sys.stderr,
                )
                return EXIT_ERROR
        time.sleep(0.2)


def _restart_gateway(services: list[Service], state_dir: Path, timeout_s: float) -> None:
    """Stop the gateway and start it again with the same arguments on the port it had; record its new pid.

    Runs in the supervise loop, so the stopped gateway is never taken for one that died on its own.
    """
    index, old = next((i, s) for i, s in enumerate(services) if s.name == "gateway")
    args = list(old.args)
    args[args.index("--port") + 1] = str(old.info["port"])  # `--port 0` picked a free one; the same URL must answer
    services[index] = new = restart_service(old, args, state_dir)
    wait_ready(new, timeout_s)
    state = read_state(state_dir)
    if state is not None:  # None: the supervisor's own state file is gone (a `down` under way)
        write_state(state_dir, {**state, "services": _services_state(services)})
    print(f"twin: gateway restarted on request: pid {new.pid}", flush=True)  # the log's record of it


def _detach(args: argparse.Namespace, state_dir: Path) -> int:
    _preflight(args, state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    layout = StateLayout(state_dir)
    layout.state_file.unlink(missing_ok=True)
    layout.logs.mkdir(exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "twin",
        "up",
        "--state-dir",
        str(state_dir),
        "--env-out",
        str(args.env_out.resolve()),
        "--gateway-port",
        str(args.gateway_port),
        "--control-port",
        str(args.control_port),
        "--sql-port",
        str(args.sql_port),
        "--ready-timeout",
        str(args.ready_timeout),
        "--issuer-type",
        args.issuer_type,
        "--detached-supervisor",
        *_timing_args(args),
        *(["--enforce-iam", "--ci-policy", str(args.ci_policy)] if args.enforce_iam else []),
    ]
    log_path = layout.service_log("supervisor")
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + args.ready_timeout * 2
    while time.monotonic() < deadline:
        state = read_state(state_dir)
        if state and state.get("supervisor_pid") == child.pid:
            lines = log_path.read_text(errors="replace").splitlines()
            print(lines[-1] if lines else f"twin ready; env file {state['env_file']}", flush=True)
            return 0
        if child.poll() is not None:
            lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
            message = lines[-1] if lines else f"the twin exited with code {child.returncode}"
            print(message if message.startswith("twin:") else f"twin: {message}", file=sys.stderr)
            return EXIT_ERROR
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGTERM)
    raise TwinError(f"the twin was not ready in time; see {log_path}")


# --- down / status -------------------------------------------------------------------------------


def _down(state_dir: Path) -> int:
    state = read_state(state_dir)
    if state is None:
        print(f"twin: no twin is running for {state_dir}")
        return 0
    pid = int(state["supervisor_pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    leftovers = [int(s["pid"]) for s in state["services"].values() if alive(int(s["pid"]))]
    for child in ([pid] if alive(pid) else []) + leftovers:
        os.kill(child, signal.SIGKILL)
    print(f"twin stopped ({state_dir})")
    return 0


def _status(state_dir: Path) -> int:
    state = read_state(state_dir)
    if state is None:
        print(f"twin: not running ({state_dir})")
        return EXIT_NOT_RUNNING
    for name, info in state["services"].items():
        up = "up" if alive(int(info["pid"])) else "DOWN"
        where = info.get("url") or f"127.0.0.1:{info.get('port')}"
        print(f"{name:13} {up:5} pid {info['pid']:<8} {where}")
    print(f"api id {state['api_id']}; env file {state['env_file']}")
    return 0


def _restart(state_dir: Path, service: str) -> int:
    """Signal a detached twin's supervisor and wait until its new gateway is ready and accepts connections."""
    state = read_state(state_dir)
    if state is None:
        raise TwinError(
            f"no twin is running for {state_dir}; start one with `python -m twin up --detach --state-dir {state_dir}`"
        )
    supervisor = int(state["supervisor_pid"])
    if not state.get("detached"):
        raise TwinError(
            f"the twin for {state_dir} runs in the foreground (pid {supervisor}); only a detached twin "
            "restarts its gateway: stop it and start it with `python -m twin up --detach`"
        )
    old_pid = int(state["services"][service]["pid"])
    started = time.monotonic()
    os.kill(supervisor, signal.SIGUSR1)
    while time.monotonic() < started + RESTART_TIMEOUT_S:
        state = read_state(state_dir)
        if state is None:
            raise TwinError(f"the twin stopped during the {service} restart; see {StateLayout(state_dir).logs}")
        info = state["services"][service]
        if int(info["pid"]) != old_pid and _accepts(int(info["port"])):
            print(
                f"twin: {service} restarted (pid {old_pid} -> {info['pid']}) in {time.monotonic() - started:.1f} s",
                flush=True,
            )
            return 0
        time.sleep(0.05)
    raise TwinError(
        f"the {service} did not come back within {RESTART_TIMEOUT_S:.0f} s; "
        f"see {StateLayout(state_dir).service_log(service)}"
    )


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False
