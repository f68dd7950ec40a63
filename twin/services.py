"""Child processes of the twin: start one service, wait for its READY line, stop it.

Each service (`python -m twin.<name> ...`) prints one `READY {json}` line on stdout once it accepts
connections. Its stdout and stderr go to `<state>/logs/<name>.log`; the supervisor polls that file
for the READY line instead of holding a pipe open that a chatty child could fill. `restart_service`
stops one and starts it again the same way (the old log kept as `<name>.previous.log`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from twin.state import StateLayout

READY_PREFIX = "READY "


class ReadyInfo(TypedDict, total=False):
    """The JSON of a READY line: every service gives url and port; the control plane adds its moto version,
    SQL Server its host, database, logins, credentials file and pid."""

    url: str
    port: int
    moto: str
    host: str
    database: str
    admin_login: str
    app_login: str
    credentials_file: str
    pid: int


class ServiceError(RuntimeError):
    """A service could not start; the message is one line meant for the user."""


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    module: str
    args: list[str]
    env: dict[str, str] | None = None
    info: ReadyInfo = field(default_factory=ReadyInfo)

    @property
    def pid(self) -> int:
        return self.process.pid


def start_service(
    name: str, module: str, args: list[str], state_dir: Path, *, env: dict[str, str] | None = None
) -> Service:
    """Start `python -m <module> <args>` with its output in the state folder's log."""
    log_path = StateLayout(state_dir).service_log(name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    return Service(name=name, process=process, log_path=log_path, module=module, args=args, env=env)


def restart_service(service: Service, args: list[str], state_dir: Path) -> Service:
    """Stop `service` (SIGTERM, SIGKILL at the deadline) and start its module again with `args` and its environment.

    The old log is renamed first: `wait_ready` must not find the old READY line.
    """
    stop_services([service])
    service.log_path.replace(service.log_path.with_suffix(".previous.log"))
    return start_service(service.name, service.module, args, state_dir, env=service.env)


def wait_ready(service: Service, timeout_s: float) -> ReadyInfo:
    """Block until the service printed READY (returns its JSON) or fail with its last log line."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in _read_lines(service.log_path):
            if line.startswith(READY_PREFIX):
                service.info = json.loads(line[len(READY_PREFIX) :])
                return service.info
        if service.process.poll() is not None:
            raise ServiceError(f"{service.name} exited with code {service.process.returncode}: {last_error(service)}")
        time.sleep(0.02)
    raise ServiceError(f"{service.name} was not ready within {timeout_s:.0f} s; see {service.log_path}")


def last_error(service: Service) -> str:
    """The service's own one-line error, or the last line of its log."""
    lines = [line for line in _read_lines(service.log_path) if line.strip()]
    return lines[-1].strip() if lines else "no output"


def stop_services(services: list[Service], timeout_s: float = 10.0) -> None:
    """SIGTERM every service (newest first), then SIGKILL what is still alive at the deadline."""
    for service in reversed(services):
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for service in reversed(services):
        remaining = max(0.1, deadline - time.monotonic())
        try:
            service.process.wait(remaining)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(5)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
